{{/* Shared names, labels and decisions of the kube-dashboard chart. */}}

{{- define "kube-dashboard.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name when it contains the chart name. */}}
{{- define "kube-dashboard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A name derived from the full name: <fullname>-<suffix>, within 63 characters. */}}
{{- define "kube-dashboard.suffixed" -}}
{{- $full := include "kube-dashboard.fullname" .root -}}
{{- printf "%s-%s" ($full | trunc (int (sub 62 (len .suffix)))) .suffix | trimSuffix "-" -}}
{{- end -}}

{{- define "kube-dashboard.grpcServiceName" -}}
{{- include "kube-dashboard.suffixed" (dict "root" . "suffix" "grpc") -}}
{{- end -}}

{{- define "kube-dashboard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kube-dashboard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kube-dashboard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kube-dashboard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kube-dashboard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "kube-dashboard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: dashboard
app.kubernetes.io/part-of: kube-dashboard
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
The dashboard's image: <repository>:<tag, default the appVersion>, or by digest
<repository>[:<tag>]@<digest> (the tag, if any, is then only informative).
*/}}
{{- define "kube-dashboard.image" -}}
{{- $repo := .Values.image.repository -}}
{{- $tag := .Values.image.tag | default "" -}}
{{- with .Values.image.digest -}}
{{- if $tag -}}
{{- printf "%s:%s@%s" $repo $tag . -}}
{{- else -}}
{{- printf "%s@%s" $repo . -}}
{{- end -}}
{{- else -}}
{{- printf "%s:%s" $repo ($tag | default $.Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* "true" when the dashboard keeps its data in PostgreSQL (database.url or existingSecret). */}}
{{- define "kube-dashboard.postgres" -}}
{{- if or .Values.database.url .Values.database.existingSecret -}}true{{- end -}}
{{- end -}}

{{/*
Checks the rules values.schema.json cannot word clearly (and that still hold when the schema is
skipped): several replicas need PostgreSQL, publicUrl is set, no system: impersonation prefix,
single sign-on settings only with oidc.issuerUrl (and then with oidc.clientId), password sign-in
off only with single sign-on. Included by every template, so `helm template --show-only` checks
them too.
*/}}
{{- define "kube-dashboard.validate" -}}
{{- if and (gt (int .Values.replicas) 1) (not (include "kube-dashboard.postgres" .)) -}}
{{- fail (printf "replicas: %d needs PostgreSQL: set database.url or database.existingSecret (the embedded PGlite database is one process on one volume; see docs/operations.md, \"Several replicas\")" (int .Values.replicas)) -}}
{{- end -}}
{{- if hasPrefix "system:" (.Values.impersonationPrefix | default "") -}}
{{- fail "impersonationPrefix must not start with system: (Kubernetes' own users and groups)" -}}
{{- end -}}
{{- with .Values.oidc -}}
{{- if .issuerUrl -}}
{{- if not .clientId -}}
{{- fail "oidc.clientId is required with oidc.issuerUrl: the client id registered at the provider (docs/configuration.md, \"Single sign-on\")" -}}
{{- end -}}
{{- if and .scopes (not (has "openid" .scopes)) -}}
{{- fail (printf "oidc.scopes %s must include openid" (toJson .scopes)) -}}
{{- end -}}
{{- else -}}
{{- $stray := list -}}
{{- range $k := list "clientId" "clientSecret" "existingSecret" "allowedGroups" "roleMapping" -}}
{{- if index $.Values.oidc $k -}}{{- $stray = append $stray (printf "oidc.%s" $k) -}}{{- end -}}
{{- end -}}
{{- if $stray -}}
{{- fail (printf "%s set without oidc.issuerUrl: set the provider's issuer URL (docs/configuration.md, \"Single sign-on\")" (join ", " $stray)) -}}
{{- end -}}
{{- if and (kindIs "bool" .localLogin) (not .localLogin) -}}
{{- fail "oidc.localLogin false needs single sign-on: set oidc.issuerUrl (without it nobody could sign in)" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := required "publicUrl is required: the dashboard's https:// address for browsers, kubectl and install commands (its CA is minted for that host; for a try-out through kubectl port-forward: https://127.0.0.1:8080)" .Values.publicUrl -}}
{{- end -}}

{{/* The generated Secret of the encryption key and its key. */}}
{{- define "kube-dashboard.encryptionKeySecret" -}}
{{- default (include "kube-dashboard.suffixed" (dict "root" . "suffix" "encryption-key")) .Values.encryptionKey.existingSecret -}}
{{- end -}}
{{- define "kube-dashboard.encryptionKeySecretKey" -}}
{{- if .Values.encryptionKey.existingSecret -}}{{ .Values.encryptionKey.existingSecretKey }}{{- else -}}encryption-key{{- end -}}
{{- end -}}

{{/* The Secret of the first admin's password and its key. */}}
{{- define "kube-dashboard.adminPasswordSecret" -}}
{{- default (include "kube-dashboard.suffixed" (dict "root" . "suffix" "admin-password")) .Values.adminPassword.existingSecret -}}
{{- end -}}
{{- define "kube-dashboard.adminPasswordSecretKey" -}}
{{- if .Values.adminPassword.existingSecret -}}{{ .Values.adminPassword.existingSecretKey }}{{- else -}}password{{- end -}}
{{- end -}}

{{/* The Secret of DATABASE_URL and its key. */}}
{{- define "kube-dashboard.databaseSecret" -}}
{{- default (include "kube-dashboard.suffixed" (dict "root" . "suffix" "database")) .Values.database.existingSecret -}}
{{- end -}}
{{- define "kube-dashboard.databaseSecretKey" -}}
{{- if .Values.database.existingSecret -}}{{ .Values.database.existingSecretKey }}{{- else -}}database-url{{- end -}}
{{- end -}}

{{/*
The Secret of OIDC_CLIENT_SECRET, when there is one (oidc.clientSecret or oidc.existingSecret,
with oidc.issuerUrl): empty for a public client.
*/}}
{{- define "kube-dashboard.oidcSecret" -}}
{{- if .Values.oidc.issuerUrl -}}
{{- if .Values.oidc.existingSecret -}}
{{- .Values.oidc.existingSecret -}}
{{- else if .Values.oidc.clientSecret -}}
{{- include "kube-dashboard.suffixed" (dict "root" . "suffix" "oidc") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- define "kube-dashboard.oidcSecretKey" -}}
{{- if .Values.oidc.existingSecret -}}{{ .Values.oidc.existingSecretKey }}{{- else -}}client-secret{{- end -}}
{{- end -}}

{{/* "true" when password sign-in is off: oidc.localLogin false, with oidc.issuerUrl. */}}
{{- define "kube-dashboard.passwordSignInOff" -}}
{{- if and .Values.oidc.issuerUrl (kindIs "bool" .Values.oidc.localLogin) (not .Values.oidc.localLogin) -}}true{{- end -}}
{{- end -}}

{{/* OIDC_ROLE_MAPPING from the map oidc.roleMapping: group=role,... sorted by group (stable). */}}
{{- define "kube-dashboard.oidcRoleMapping" -}}
{{- $pairs := list -}}
{{- range $group := keys . | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s=%s" $group (index $ $group)) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* The HTTP port's scheme: https unless http.insecure (TLS ends at a proxy in front). */}}
{{- define "kube-dashboard.httpScheme" -}}
{{- if .Values.http.insecure -}}http{{- else -}}https{{- end -}}
{{- end -}}

{{/*
A value kept from the live Secret on upgrade (lookup), else generated. "lookup" sees nothing in
`helm template` and client-side dry runs, which therefore show fresh values.
Arguments: root, name (the Secret), key, generate (the new value, already computed).
*/}}
{{- define "kube-dashboard.keptSecretValue" -}}
{{- $live := lookup "v1" "Secret" .root.Release.Namespace .name -}}
{{- $data := dig "data" (dict) ($live | default (dict)) -}}
{{- if hasKey $data .key -}}
{{- index $data .key -}}
{{- else -}}
{{- .generate | b64enc -}}
{{- end -}}
{{- end -}}
