// Command test-kubelet is the test control plane's kubelet (tools/testenv), test tooling only: an
// HTTPS server that the real kube-apiserver reaches for the pods on the Nodes that
// tools/testenv/fixtures.ts registers. It serves container logs (ten numbered lines, as the
// former Deno fake did) and streams exec, attach and port-forward with Kubernetes' own server
// code (k8s.io/cri-streaming), so kubectl exec/attach/cp/port-forward work in tests. A "container"
// is this machine: exec runs a local process in a per-pod directory, attach watches a per-container
// ticking "main process", and port-forward dials 127.0.0.1. It prints "listening 127.0.0.1:PORT"
// once ready and exits when its standard input closes or on SIGTERM/SIGINT.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

const (
	// logLines is how many lines /containerLogs has before following.
	logLines = 10
	// followInterval is how often a followed log gets a new line.
	followInterval = 200 * time.Millisecond
	// streamIdleTimeout and streamCreationTimeout are the real kubelet's defaults.
	streamIdleTimeout     = 4 * time.Hour
	streamCreationTimeout = remotecommand.DefaultStreamCreationTimeout
)

// logEpoch is the time of log line 0: line N is stamped logEpoch + N seconds.
var logEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	certFile := flag.String("cert", "", "serving certificate (PEM file)")
	keyFile := flag.String("key", "", "serving key (PEM file)")
	root := flag.String("root", "",
		"directory of the pods' working directories, <root>/<namespace>/<pod> (default: a new temp dir)")
	logFile := flag.String("log", "", "append this program's own log (stderr) to this file")
	flag.Parse()
	if *certFile == "" || *keyFile == "" {
		fmt.Fprintln(os.Stderr, "test-kubelet: --cert and --key are required")
		os.Exit(2)
	}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "test-kubelet: %v\n", err)
			os.Exit(2)
		}
		// Everything, klog and panics too, goes to the log file from here on.
		if err := unix.Dup2(int(f.Fd()), 2); err != nil {
			fmt.Fprintf(os.Stderr, "test-kubelet: redirecting stderr: %v\n", err)
			os.Exit(2)
		}
	}
	log.SetPrefix("test-kubelet: ")
	ownRoot := *root == ""
	if ownRoot {
		dir, err := os.MkdirTemp("", "test-kubelet-")
		if err != nil {
			log.Fatal(err)
		}
		*root = dir
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("loading the serving certificate: %v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}

	rt := newRuntime(*root, ownRoot)
	srv := &http.Server{
		Handler: &kubelet{rt: rt},
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
		},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.Default(),
	}
	go func() {
		// The parent keeps our standard input open while it wants us: its end means it is gone.
		_, _ = io.Copy(io.Discard, os.Stdin)
		shutdown(rt, "standard input closed")
	}()
	go func() {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		shutdown(rt, fmt.Sprintf("got %v", <-sigs))
	}()

	// The one line on stdout: the parent reads the port from it.
	fmt.Printf("listening %s\n", ln.Addr())
	log.Printf("listening on %s, pods in %s", ln.Addr(), *root)
	if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// shutdown kills the processes started by exec and exits.
func shutdown(rt *runtime, why string) {
	log.Printf("exiting: %s", why)
	rt.killAll()
	os.Exit(0)
}

// kubelet routes the kubelet API paths that the apiserver calls.
type kubelet struct {
	rt *runtime
}

func (k *kubelet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	get := r.Method == http.MethodGet
	getOrPost := get || r.Method == http.MethodPost
	switch {
	case parts[0] == "containerLogs" && len(parts) == 4 && get:
		serveLogs(w, r, parts[2], parts[3])
		return
	case (parts[0] == "exec" || parts[0] == "attach") && (len(parts) == 4 || len(parts) == 5) &&
		getOrPost:
		// /exec/{namespace}/{pod}/{container} or /exec/{namespace}/{pod}/{uid}/{container}
		ns, podName, uid, container := parts[1], parts[2], "", parts[len(parts)-1]
		if len(parts) == 5 {
			uid = parts[3]
		}
		opts, err := remotecommand.NewOptions(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p := &pod{rt: k.rt, namespace: ns, name: podName}
		if parts[0] == "exec" {
			cmd := r.URL.Query()["command"]
			if len(cmd) == 0 {
				http.Error(w, "test-kubelet: exec needs a command", http.StatusBadRequest)
				return
			}
			remotecommand.ServeExec(w, r, p, podName, uid, container, cmd, opts, streamIdleTimeout,
				streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
		} else {
			remotecommand.ServeAttach(w, r, p, podName, uid, container, opts, streamIdleTimeout,
				streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
		}
		return
	case parts[0] == "portForward" && (len(parts) == 3 || len(parts) == 4) && getOrPost:
		// /portForward/{namespace}/{pod} or /portForward/{namespace}/{pod}/{uid}
		uid := ""
		if len(parts) == 4 {
			uid = parts[3]
		}
		opts, err := portforward.NewV4Options(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p := &pod{rt: k.rt, namespace: parts[1], name: parts[2]}
		portforward.ServePortForward(w, r, p, parts[2], uid, opts, streamIdleTimeout,
			streamCreationTimeout, portforward.SupportedProtocols)
		return
	}
	http.Error(w, fmt.Sprintf("test-kubelet: %s %s is not supported (it serves GET "+
		"/containerLogs/{ns}/{pod}/{container}, /exec/{ns}/{pod}/{container}, "+
		"/attach/{ns}/{pod}/{container} and /portForward/{ns}/{pod})", r.Method, r.URL.Path),
		http.StatusNotFound)
}

// serveLogs writes log lines 1..10 (or the last tailLines of them), "log line N from
// pod/container", each after an RFC 3339 timestamp with milliseconds (logEpoch + N s) when
// timestamps=true; with follow=true it then adds a line, stamped now, every followInterval until
// the client goes away. With previous=true it writes the previous instance's lines, "previous log
// line N from pod/container", and never follows (that instance has ended), as a kubelet does for
// a container that restarted.
func serveLogs(w http.ResponseWriter, r *http.Request, pod, container string) {
	q := r.URL.Query()
	previous := q.Get("previous") == "true"
	follow := q.Get("follow") == "true" && !previous
	instance := ""
	if previous {
		instance = "previous "
	}
	timestamps := q.Get("timestamps") == "true"
	tail := logLines
	if q.Has("tailLines") {
		n, err := strconv.Atoi(q.Get("tailLines"))
		tail = max(0, n)
		if err != nil {
			tail = 0
		}
	}
	line := func(n int, at time.Time) []byte {
		stamp := ""
		if timestamps {
			stamp = at.UTC().Format("2006-01-02T15:04:05.000Z") + " "
		}
		return fmt.Appendf(nil, "%s%slog line %d from %s/%s\n", stamp, instance, n, pod, container)
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	for n := max(1, logLines-tail+1); n <= logLines; n++ {
		if _, err := w.Write(line(n, logEpoch.Add(time.Duration(n)*time.Second))); err != nil {
			return
		}
	}
	if !follow {
		return
	}
	flush := func() bool { return http.NewResponseController(w).Flush() == nil }
	if !flush() {
		return
	}
	ticker := time.NewTicker(followInterval)
	defer ticker.Stop()
	ctx := r.Context()
	for n := logLines + 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			if _, err := w.Write(line(n, now)); err != nil || !flush() {
				return
			}
		}
	}
}

// pod is one pod's side of the streaming interfaces (remotecommand.Executor and Attacher,
// portforward.PortForwarder), which get the pod's name but not its namespace.
type pod struct {
	rt        *runtime
	namespace string
	name      string
}

var (
	_ remotecommand.Executor    = (*pod)(nil)
	_ remotecommand.Attacher    = (*pod)(nil)
	_ portforward.PortForwarder = (*pod)(nil)
)

func (p *pod) ExecInContainer(ctx context.Context, _ string, _ string, container string,
	cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool,
	resize <-chan remotecommand.TerminalSize, _ time.Duration) error {
	return p.rt.exec(ctx, p.namespace, p.name, container, cmd, in, out, errOut, tty, resize)
}

func (p *pod) AttachContainer(ctx context.Context, _ string, _ string, container string,
	in io.Reader, out, errOut io.WriteCloser, tty bool,
	resize <-chan remotecommand.TerminalSize) error {
	return p.rt.attach(ctx, p.namespace, p.name, container, in, out, tty, resize)
}

func (p *pod) PortForward(ctx context.Context, _ string, _ string, port int32,
	stream io.ReadWriteCloser) error {
	return p.rt.portForward(ctx, port, stream)
}
