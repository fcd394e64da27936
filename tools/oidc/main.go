// test-oidc-provider: a real OpenID provider for the dashboard's single-sign-on tests, built from
// the Go module proxy like the Kubernetes test binaries (tools/oidc/build.sh). It is zitadel/oidc's
// certified OpenID provider library with its example server's login page and in-memory storage;
// this file adds what the tests need: users (with groups) and clients from one JSON file, and a
// `groups` claim in ID tokens. Used by testing/oidc_provider.ts only, never in production.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// config is the JSON file given with -config.
type config struct {
	Users []struct {
		ID       string   `json:"id"`
		Username string   `json:"username"`
		Password string   `json:"password"`
		Email    string   `json:"email"`
		Groups   []string `json:"groups"`
	} `json:"users"`
	Clients []struct {
		ID           string   `json:"id"`
		Secret       string   `json:"secret"`
		RedirectURIs []string `json:"redirect_uris"`
		// Where the end-session endpoint may send the browser back to (post_logout_redirect_uri).
		PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	} `json:"clients"`
}

// users implements the example storage's UserStore from the configuration.
type users struct {
	byID   map[string]*storage.User
	groups map[string][]string
}

func (u users) GetUserByID(id string) *storage.User { return u.byID[id] }
func (u users) GetUserByUsername(name string) *storage.User {
	for _, user := range u.byID {
		if user.Username == name {
			return user
		}
	}
	return nil
}
func (u users) ExampleClientID() string { return "" }

// withGroups adds the `groups` claim (and the profile and email claims the scopes ask for) to ID
// tokens, as providers such as Dex and Keycloak do, and the clients' post-logout redirect URIs.
type withGroups struct {
	*storage.Storage
	groups     map[string][]string
	postLogout map[string][]string
}

// GetClientByClientID hands out the clients with the `groups` scope allowed (the example's clients
// allow only its own custom scope beyond the standard ones) and their post-logout redirect URIs.
func (s withGroups) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	client, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return groupsScope{client, s.postLogout[id]}, nil
}

type groupsScope struct {
	op.Client
	postLogout []string
}

func (c groupsScope) PostLogoutRedirectURIs() []string { return c.postLogout }

func (c groupsScope) IsScopeAllowed(scope string) bool {
	return scope == "groups" || c.Client.IsScopeAllowed(scope)
}

func (s withGroups) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, request op.IDTokenRequest, _ []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, request, request.GetScopes()); err != nil {
		return err
	}
	if slices.Contains(request.GetScopes(), "groups") {
		info.AppendClaims("groups", s.groups[request.GetSubject()])
	}
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	configFile := flag.String("config", "", "users and clients (JSON)")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	raw, err := os.ReadFile(*configFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "test-oidc-provider: -config: %v\n", err)
		os.Exit(2)
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "test-oidc-provider: %s: %v\n", *configFile, err)
		os.Exit(2)
	}
	store := users{byID: map[string]*storage.User{}, groups: map[string][]string{}}
	for _, u := range cfg.Users {
		store.byID[u.ID] = &storage.User{
			ID: u.ID, Username: u.Username, Password: u.Password,
			FirstName: u.Username, LastName: "Test", Email: u.Email, EmailVerified: true,
		}
		store.groups[u.ID] = u.Groups
	}
	postLogout := map[string][]string{}
	for _, c := range cfg.Clients {
		storage.RegisterClients(storage.WebClient(c.ID, c.Secret, c.RedirectURIs...))
		postLogout[c.ID] = c.PostLogoutRedirectURIs
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "test-oidc-provider: listen %s: %v\n", *listen, err)
		os.Exit(2)
	}
	issuer := fmt.Sprintf("http://%s", listener.Addr().String())
	router := exampleop.SetupServer(issuer, withGroups{storage.NewStorage(store), store.groups, postLogout}, logger, false)
	// The test helper reads the issuer from this first line.
	fmt.Printf("issuer %s\n", issuer)
	if err := http.Serve(listener, router); err != nil {
		fmt.Fprintf(os.Stderr, "test-oidc-provider: %v\n", err)
		os.Exit(1)
	}
}
