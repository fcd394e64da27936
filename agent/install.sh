#!/usr/bin/env bash
# Installs the kube-dashboard agent into a Kubernetes cluster with Helm, from the chart the
# dashboard serves. The dashboard's "Add cluster -> Deploy agent" dialog generates the command:
#
#   dashboard_agent_install() ( ... fetch the dashboard CA, check it against the pinned CA hash,
#     download this script with it, check the script's SHA-256, then run it: ...
#     bash "$d/install.sh" --ca-file "$d/ca.pem" --dashboard-url https://dash.example.com:9090 \
#     --dashboard-http-url https://dash.example.com --cluster-name prod --permissions read-only \
#     --ca-hash sha256:<hex> --namespace dashboard-agent \
#     --image ghcr.io/kube-dashboard/dashboard-agent:<version> --chart-sha256 <hex> "$@"
#   )
#   dashboard_agent_install
#
# (docs/agent.md, "How the install command trusts the dashboard").
#
# It runs against the current kubectl context (or --kube-context): checks that helm and kubectl
# are installed and recent enough, that the cluster answers and that you may create what the
# chart creates, downloads the chart and checks its SHA-256 against --chart-sha256, asks you to
# confirm the context (unless --yes), checks from a short-lived pod that the cluster reaches the
# dashboard's agent endpoint, runs `helm upgrade --install` (re-running it upgrades in place; the
# agent keeps its credential) and waits until the agent has registered (unless --no-wait).
#
# The registration token is never part of the command (shell history, `ps`): the script asks for
# it on the terminal with echo off, or reads it from the file DASHBOARD_TOKEN_FILE (or
# --token-file) names; AGENT_TOKEN in the environment also works, for automation. It goes to Helm
# in a 0600 temporary values file, never on a command line.
#
# The chart is fetched with curl from the dashboard's web address. With --ca-file (the install
# command passes the dashboard CA it fetched and checked) curl trusts that CA only, and the script
# first checks that the file's certificate is the one --ca-hash pins (exit 9 if not, before helm).
# Without it curl uses the system's trust store (a dashboard with a public certificate; or
# export CURL_CA_BUNDLE=/path/to/dashboard-ca.pem).
#
# Exit codes:
#   0  installed or upgraded (also --help, and --dry-run when every check passed)
#   1  an unexpected error
#   2  bad or missing arguments
#   3  a required tool (helm, kubectl, curl) is missing
#   4  the cluster is unreachable with the current kube context
#   5  the current user may not create what the chart needs (namespace, ClusterRole, ...)
#   6  the chart could not be downloaded (or --chart-url is not a readable file)
#   7  helm failed (invalid values, or the install itself)
#   8  the chart's SHA-256 is not the one --chart-sha256 expects: it was not installed
#   9  the --ca-file certificate is not the CA --ca-hash pins: nothing was installed
#  10  (the install command itself) the downloaded install.sh is not the one the dashboard
#      generated the command for: it was not run
#  11  not confirmed: you answered no, or there is no terminal to ask on and no --yes
#  12  a pod in the cluster could not connect to the dashboard's agent endpoint
#  13  installed, but the agent did not register within --wait-timeout
set -euo pipefail

readonly CHART_VERSION="0.1.0"
readonly RELEASE="dashboard-agent"
readonly E_USAGE=2 E_TOOL=3 E_UNREACHABLE=4 E_FORBIDDEN=5 E_DOWNLOAD=6 E_HELM=7 E_CHART_HASH=8
readonly E_CA=9 E_NOT_CONFIRMED=11 E_AGENT_UNREACHABLE=12 E_WAIT=13
# The oldest tools this script (and the chart) are tested with; the dashboard's dialog shows them
# (common/install_prerequisites.ts holds the same numbers).
readonly MIN_KUBECTL="1.24.0" MIN_HELM="3.8.0"
readonly CREDENTIAL_SECRET="dashboard-agent-credential"

readonly RE_HOST='(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?'
readonly RE_AGENT_URL="^https?://${RE_HOST}/?$"
readonly RE_HTTP_URL="^https?://${RE_HOST}(/[A-Za-z0-9._~%/-]*)?$"
readonly RE_CHART_URL="^https?://${RE_HOST}(/[A-Za-z0-9._~%/?&=+-]*)?$"
readonly RE_DNS_LABEL='^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
readonly RE_CA_HASH='^sha256:[0-9a-f]{64}$'
readonly RE_SHA256='^[0-9a-f]{64}$'
readonly RE_TOKEN='^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
readonly RE_IMPERSONATION_PREFIX='^[a-z0-9][a-z0-9:._-]{0,62}[:-]$'
# Image references as the dashboard checks them (common/agent_image.ts).
readonly RE_IMAGE_REGISTRY='^(localhost|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]{1,5})?$'
readonly RE_IMAGE_COMPONENT='^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$'
readonly RE_IMAGE_TAG='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
readonly RE_IMAGE_DIGEST='^sha256:[0-9a-f]{64}$'
readonly RE_DNS_SUBDOMAIN='^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$'
readonly MAX_PULL_SECRETS=8

tmp=""

usage() {
  cat <<'EOF'
Usage: install.sh [options]     (usually run by the command the dashboard's "Deploy agent"
                                 dialog shows, which downloads and checks it first)

Installs the kube-dashboard agent with Helm into the current kube context.

Required:
  --dashboard-url URL        the dashboard's agent (gRPC) endpoint, https://host:port
                             (http://host:port only with --insecure)
  --cluster-name NAME        the cluster's name in the dashboard (DNS-1123 label)
  --dashboard-http-url URL   the dashboard's web address; the chart is downloaded from
                             <URL>/api/agents/charts/dashboard-agent-<version>.tgz
                             (not needed with --chart-url)

The registration token (never give it on the command line):
  asked for on the terminal (input hidden) unless one of these is set:
  DASHBOARD_TOKEN_FILE       (environment) a file holding the token; or --token-file FILE
  AGENT_TOKEN                (environment) the token itself, for automation

Options:
  --ca-hash sha256:HEX       the dashboard CA's sha256, pinned by the agent
  --ca-file FILE             the dashboard's CA (PEM): must match --ca-hash (exit 9); curl
                             downloads the chart trusting only it, and helm gets it (--ca-file)
  -y, --yes                  do not ask before installing into the current context
  --no-wait                  do not wait for the agent to register (default: --wait)
  --wait-timeout SECONDS     how long to wait for the agent (default 300)
  --skip-reachability-check  do not start a pod to check that the cluster reaches
                             --dashboard-url
  --check-image REF          the image of that pod (default busybox:1.36; it runs nc)
  --check-timeout SECONDS    how long that pod may take to start (default 60)
  --chart-sha256 HEX         the chart's SHA-256 (the dashboard's command carries it); a chart
                             with another hash is refused (exit 8)
  --insecure                 the agent dials an http:// dashboard without TLS (tests only)
  --permissions PRESET       read-only (default), operator, admin or custom
  --rules JSON               the RBAC rules for --permissions custom (a JSON array)
  --allow-impersonation      the agent may act as the dashboard's users (for clusters set to
                             "impersonate users"; the dashboard's command sets it for admin)
  --impersonation-prefix P   the prefix of every name it impersonates (default dashboard:)
  --namespace NS             the namespace to install into (default: dashboard-agent)
  --image REF                the agent image, [registry[:port]/]path[:tag][@sha256:HEX]
                             (default: the chart's, ghcr.io/kube-dashboard/dashboard-agent)
  --image-pull-secret NAME   a Secret in the namespace to pull the image with; may be
                             repeated (at most 8)
  --chart-url URL|FILE       where to get the chart instead of --dashboard-http-url
  --values FILE              more Helm values (image, proxy settings via extraEnv, ...);
                             may be repeated
  --kube-context NAME        the kubeconfig context to use (default: the current one)
  --token-file FILE          read the token from FILE (as DASHBOARD_TOKEN_FILE)
  --token TOKEN              discouraged: visible in `ps` and shell history
  --dry-run                  check everything and print what would be done; change nothing
  -h, --help                 this help

Exit codes: 0 ok, 1 unexpected error, 2 bad arguments, 3 missing or too old tool, 4 cluster
unreachable, 5 not allowed to install, 6 chart download failed, 7 helm failed, 8 chart hash
mismatch, 9 CA does not match --ca-hash, 11 not confirmed, 12 the cluster cannot reach the
dashboard, 13 the agent did not register in time.
EOF
}

die() {
  local code=$1
  shift
  printf 'install.sh: error: %s\n' "$*" >&2
  exit "$code"
}

info() {
  printf '==> %s\n' "$*"
}

cleanup() {
  if [[ -n $tmp ]]; then
    rm -rf -- "$tmp"
  fi
}

# A value for an error message, quoted so that nothing in it can mislead the reader's terminal.
shown() {
  printf '%q' "$1"
}

# The SHA-256 (hex) of a file, with whichever tool this system has.
sha256_of() {
  local out
  if command -v sha256sum >/dev/null 2>&1; then
    out=$(sha256sum -- "$1")
  elif command -v shasum >/dev/null 2>&1; then
    out=$(shasum -a 256 -- "$1")
  elif command -v openssl >/dev/null 2>&1; then
    out=$(openssl dgst -sha256 -r "$1")
  else
    die "$E_TOOL" "none of sha256sum, shasum or openssl is installed: the chart cannot be verified"
  fi
  printf '%s' "${out%% *}"
}

# Whether version $1 (x.y.z, an optional leading v and suffix ignored) is at least $2.
version_ge() {
  local a=${1#v} b=$2 i
  a=${a%%[-+]*}
  local -a x y
  IFS=. read -r -a x <<<"$a"
  IFS=. read -r -a y <<<"$b"
  for i in 0 1 2; do
    local p=${x[i]:-0} q=${y[i]:-0}
    [[ $p =~ ^[0-9]+$ ]] || return 1
    if ((10#$p > 10#$q)); then return 0; fi
    if ((10#$p < 10#$q)); then return 1; fi
  done
  return 0
}

# sha256:<hex> of the first certificate in a PEM file (its DER), as the agent pins it.
cert_hash() {
  local out
  out=$(openssl x509 -in "$1" -outform DER 2>/dev/null | openssl dgst -sha256 -r) || return 1
  out=${out%% *}
  [[ $out =~ $RE_SHA256 ]] || return 1
  printf 'sha256:%s' "$out"
}

# Asks "Install into <context>?" on the terminal; fails (exit 11) without one.
confirm() {
  local question=$1 answer=""
  if ! (: </dev/tty) 2>/dev/null; then
    die "$E_NOT_CONFIRMED" "not confirmed: there is no terminal to ask \"${question}\" on; check the context above and pass --yes to install without asking"
  fi
  printf '%s [y/N] ' "$question" >/dev/tty
  IFS= read -r answer </dev/tty || true
  case $answer in
    y | Y | yes | YES | Yes) ;;
    *) die "$E_NOT_CONFIRMED" "not confirmed: nothing was installed (switch context with kubectl config use-context, or pass --kube-context)" ;;
  esac
}

# Reads the token from the terminal, echo off; fails when there is no terminal.
prompt_token() {
  if ! (: </dev/tty) 2>/dev/null; then
    return 1
  fi
  printf 'Registration token for cluster %s (input hidden): ' "$cluster_name" >/dev/tty
  IFS= read -rs token </dev/tty || true
  printf '\n' >/dev/tty
}

# Splits an image reference into image_repository, image_tag and image_digest, checked as the
# dashboard checks it; returns 1 when it is not one.
parse_image() {
  local rest=$1 first path comp last
  image_repository="" image_tag="" image_digest=""
  if ((${#rest} == 0 || ${#rest} > 512)); then
    return 1
  fi
  if [[ $rest == *@* ]]; then
    image_digest=${rest#*@}
    rest=${rest%%@*}
    [[ $image_digest =~ $RE_IMAGE_DIGEST ]] || return 1
  fi
  last=${rest##*/}
  if [[ $last == *:* ]]; then
    image_tag=${last##*:}
    rest=${rest%:*}
    [[ $image_tag =~ $RE_IMAGE_TAG ]] || return 1
  fi
  path=$rest
  first=${rest%%/*}
  if [[ $rest == */* && ($first == *.* || $first == *:* || $first == localhost) ]]; then
    [[ $first =~ $RE_IMAGE_REGISTRY ]] || return 1
    path=${rest#*/}
  fi
  while true; do
    comp=${path%%/*}
    [[ $comp =~ $RE_IMAGE_COMPONENT ]] || return 1
    [[ $path == */* ]] || break
    path=${path#*/}
  done
  ((${#rest} <= 255)) || return 1
  image_repository=$rest
}

# The Helm values; every string in them was validated above, so double-quoting is enough.
write_values() {
  local token=$1
  printf 'dashboard:\n'
  printf '  url: "%s"\n' "$dashboard_url"
  if [[ $insecure == true ]]; then
    printf '  insecure: true\n'
  fi
  if [[ -n $ca_hash ]]; then
    printf '  caHash: "%s"\n' "$ca_hash"
  fi
  printf 'token: "%s"\n' "$token"
  printf 'clusterName: "%s"\n' "$cluster_name"
  printf 'rbac:\n'
  printf '  preset: "%s"\n' "$permissions"
  if [[ -n $rules ]]; then
    printf '  rules: %s\n' "$rules"
  fi
  if [[ $allow_impersonation == true ]]; then
    printf 'allowImpersonation: true\n'
  fi
  if [[ -n $impersonation_prefix ]]; then
    printf 'impersonationPrefix: "%s"\n' "$impersonation_prefix"
  fi
  if [[ -n $image_repository ]]; then
    printf 'image:\n'
    printf '  repository: "%s"\n' "$image_repository"
    if [[ -n $image_tag ]]; then
      printf '  tag: "%s"\n' "$image_tag"
    fi
    if [[ -n $image_digest ]]; then
      printf '  digest: "%s"\n' "$image_digest"
    fi
  fi
  if ((${#pull_secrets[@]} > 0)); then
    printf 'imagePullSecrets:\n'
    printf '  - name: "%s"\n' "${pull_secrets[@]}"
  fi
}

main() {
  dashboard_url=""
  local http_url="" chart_url="" namespace="dashboard-agent" kube_context="" dry_run=false
  local token_from_flag=false token_file=${DASHBOARD_TOKEN_FILE:-} chart_sha256=""
  local ca_file="" assume_yes=false wait=true wait_timeout=300 reachability=true
  local check_image="busybox:1.36" check_timeout=60
  local -a extra_values=()
  token=${AGENT_TOKEN:-}
  cluster_name=""
  ca_hash=""
  permissions="read-only"
  rules=""
  insecure=false
  allow_impersonation=false
  impersonation_prefix=""
  local image=""
  image_repository=""
  image_tag=""
  image_digest=""
  pull_secrets=()

  while (($# > 0)); do
    local opt=$1 value="" inline=false
    shift
    if [[ $opt == --*=* ]]; then
      value=${opt#*=}
      opt=${opt%%=*}
      inline=true
    fi
    case $opt in
      -h | --help)
        usage
        exit 0
        ;;
      --insecure | --dry-run | --allow-impersonation | -y | --yes | --wait | --no-wait | \
        --skip-reachability-check)
        if [[ $inline == true ]]; then
          die "$E_USAGE" "$opt takes no value"
        fi
        case $opt in
          --insecure) insecure=true ;;
          --dry-run) dry_run=true ;;
          --allow-impersonation) allow_impersonation=true ;;
          -y | --yes) assume_yes=true ;;
          --wait) wait=true ;;
          --no-wait) wait=false ;;
          --skip-reachability-check) reachability=false ;;
        esac
        ;;
      --dashboard-url | --dashboard-http-url | --token | --token-file | --cluster-name | \
        --ca-hash | --chart-sha256 | --permissions | --rules | --namespace | --chart-url | \
        --values | --kube-context | --impersonation-prefix | --image | --image-pull-secret | \
        --ca-file | --wait-timeout | --check-image | --check-timeout)
        if [[ $inline == false ]]; then
          if (($# == 0)); then
            die "$E_USAGE" "$opt needs a value (see --help)"
          fi
          value=$1
          shift
        fi
        case $opt in
          --dashboard-url) dashboard_url=$value ;;
          --dashboard-http-url) http_url=$value ;;
          --token)
            token=$value
            token_from_flag=true
            ;;
          --token-file) token_file=$value ;;
          --cluster-name) cluster_name=$value ;;
          --ca-hash) ca_hash=$value ;;
          --chart-sha256) chart_sha256=$value ;;
          --permissions) permissions=$value ;;
          --rules) rules=$value ;;
          --namespace) namespace=$value ;;
          --chart-url) chart_url=$value ;;
          --values) extra_values+=("$value") ;;
          --kube-context) kube_context=$value ;;
          --impersonation-prefix) impersonation_prefix=$value ;;
          --image) image=$value ;;
          --image-pull-secret) pull_secrets+=("$value") ;;
          --ca-file) ca_file=$value ;;
          --wait-timeout) wait_timeout=$value ;;
          --check-image) check_image=$value ;;
          --check-timeout) check_timeout=$value ;;
        esac
        ;;
      *) die "$E_USAGE" "unknown argument $(shown "$opt") (see --help)" ;;
    esac
  done

  # --- arguments ---------------------------------------------------------------------------
  if [[ -z $dashboard_url ]]; then
    die "$E_USAGE" "--dashboard-url is required: the dashboard's agent endpoint, e.g. https://dash.example.com:9090"
  fi
  if ! [[ $dashboard_url =~ $RE_AGENT_URL ]]; then
    die "$E_USAGE" "--dashboard-url $(shown "$dashboard_url") must be https://host:port (or http://host:port with --insecure)"
  fi
  if [[ $dashboard_url == http://* && $insecure != true ]]; then
    die "$E_USAGE" "--dashboard-url uses http:// (no TLS): pass --insecure to allow it"
  fi
  if [[ $dashboard_url == https://* && $insecure == true ]]; then
    die "$E_USAGE" "--insecure needs an http:// --dashboard-url; with https:// use --ca-hash"
  fi
  if [[ -n $ca_hash ]]; then
    ca_hash=${ca_hash,,}
    if ! [[ $ca_hash =~ $RE_CA_HASH ]]; then
      die "$E_USAGE" "--ca-hash $(shown "$ca_hash") must look like sha256:<64 hex digits>"
    fi
    if [[ $insecure == true ]]; then
      die "$E_USAGE" "--ca-hash and --insecure exclude each other"
    fi
  fi
  if [[ -z $cluster_name ]]; then
    die "$E_USAGE" "--cluster-name is required"
  fi
  if ! [[ $cluster_name =~ $RE_DNS_LABEL ]]; then
    die "$E_USAGE" "--cluster-name $(shown "$cluster_name") must be a DNS-1123 label: 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit"
  fi
  if ! [[ $namespace =~ $RE_DNS_LABEL ]]; then
    die "$E_USAGE" "--namespace $(shown "$namespace") is not a valid namespace name (DNS-1123 label)"
  fi
  case $permissions in
    read-only | operator | admin) ;;
    custom) ;;
    *) die "$E_USAGE" "--permissions $(shown "$permissions") must be one of: read-only, operator, admin, custom" ;;
  esac
  if [[ $permissions == custom ]]; then
    if [[ -z $rules ]]; then
      die "$E_USAGE" "--permissions custom needs --rules '<JSON array of RBAC rules>'"
    fi
    if [[ $rules =~ [[:cntrl:]] || $rules != \[*\] ]]; then
      die "$E_USAGE" "--rules must be a JSON array on one line, e.g. '[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]'"
    fi
  elif [[ -n $rules ]]; then
    die "$E_USAGE" "--rules is only accepted with --permissions custom"
  fi
  if [[ -n $impersonation_prefix ]]; then
    if ! [[ $impersonation_prefix =~ $RE_IMPERSONATION_PREFIX ]] || [[ $impersonation_prefix == system:* ]]; then
      die "$E_USAGE" "--impersonation-prefix $(shown "$impersonation_prefix") must be 2-64 characters of a-z, 0-9, ':', '.', '_', '-', end with ':' or '-' and not start with system: (e.g. dashboard:)"
    fi
    if [[ $allow_impersonation != true ]]; then
      die "$E_USAGE" "--impersonation-prefix needs --allow-impersonation"
    fi
  fi
  if [[ -n $image ]] && ! parse_image "$image"; then
    die "$E_USAGE" "--image $(shown "$image") is not an image reference: use [registry[:port]/]path[:tag][@sha256:<64 hex>], e.g. registry.example.com:5000/dashboard-agent:${CHART_VERSION}"
  fi
  if ((${#pull_secrets[@]} > MAX_PULL_SECRETS)); then
    die "$E_USAGE" "at most ${MAX_PULL_SECRETS} --image-pull-secret"
  fi
  local s
  for s in "${pull_secrets[@]}"; do
    if ((${#s} > 253)) || ! [[ $s =~ $RE_DNS_SUBDOMAIN ]]; then
      die "$E_USAGE" "--image-pull-secret $(shown "$s") is not a Secret name (lowercase letters, digits, '-' and '.')"
    fi
  done
  local token_source="AGENT_TOKEN"
  if [[ $token_from_flag == true ]]; then
    token_source="--token"
  elif [[ -n $token_file ]]; then
    if [[ ! -f $token_file || ! -r $token_file ]]; then
      die "$E_USAGE" "the token file $(shown "$token_file") (DASHBOARD_TOKEN_FILE / --token-file) is not a readable file"
    fi
    token=$(<"$token_file")
    token=${token%$'\r'}
    token_source="the token file $(shown "$token_file")"
  elif [[ -z $token ]] && prompt_token; then
    token_source="the token you entered"
  fi
  if [[ -z $token ]]; then
    die "$E_USAGE" "no registration token: run this in a terminal to be asked for it, or put it in a file and set DASHBOARD_TOKEN_FILE=/path/to/file (see --help)"
  fi
  if ! [[ $token =~ $RE_TOKEN ]]; then
    die "$E_USAGE" "${token_source} is not a registration token from the dashboard"
  fi
  if [[ $token_from_flag == true ]]; then
    printf 'install.sh: warning: --token is visible to other users (ps) and in shell history; prefer DASHBOARD_TOKEN_FILE\n' >&2
  fi
  if [[ -n $chart_sha256 ]]; then
    chart_sha256=${chart_sha256,,}
    if ! [[ $chart_sha256 =~ $RE_SHA256 ]]; then
      die "$E_USAGE" "--chart-sha256 $(shown "$chart_sha256") must be 64 hex digits"
    fi
  fi
  if [[ -n $http_url ]]; then
    if ! [[ $http_url =~ $RE_HTTP_URL ]]; then
      die "$E_USAGE" "--dashboard-http-url $(shown "$http_url") must be the dashboard's web address, e.g. https://dash.example.com"
    fi
    http_url=${http_url%/}
  fi
  if [[ -z $chart_url ]]; then
    if [[ -z $http_url ]]; then
      die "$E_USAGE" "--dashboard-http-url (the dashboard's web address) or --chart-url is required to find the chart"
    fi
    chart_url="${http_url}/api/agents/charts/dashboard-agent-${CHART_VERSION}.tgz"
  elif [[ $chart_url == http://* || $chart_url == https://* ]]; then
    if ! [[ $chart_url =~ $RE_CHART_URL ]]; then
      die "$E_USAGE" "--chart-url $(shown "$chart_url") is not a valid URL"
    fi
  elif [[ ! -f $chart_url || ! -r $chart_url ]]; then
    die "$E_DOWNLOAD" "--chart-url $(shown "$chart_url") is neither an http(s) URL nor a readable file"
  fi
  local f
  for f in "${extra_values[@]}"; do
    if [[ ! -f $f || ! -r $f ]]; then
      die "$E_USAGE" "--values $(shown "$f") is not a readable file"
    fi
  done
  if [[ -n $kube_context && ( $kube_context == -* || $kube_context =~ [[:cntrl:]] ) ]]; then
    die "$E_USAGE" "--kube-context $(shown "$kube_context") is not a context name"
  fi
  if [[ -n $ca_file ]]; then
    if [[ -z $ca_hash ]]; then
      die "$E_USAGE" "--ca-file needs --ca-hash (the hash the file must match)"
    fi
    if [[ ! -f $ca_file || ! -r $ca_file ]]; then
      die "$E_USAGE" "--ca-file $(shown "$ca_file") is not a readable file"
    fi
  fi
  if ! [[ $wait_timeout =~ ^[0-9]{1,5}$ ]] || ((10#$wait_timeout == 0)); then
    die "$E_USAGE" "--wait-timeout $(shown "$wait_timeout") must be a number of seconds (1-99999)"
  fi
  wait_timeout=$((10#$wait_timeout))
  if ! [[ $check_timeout =~ ^[0-9]{1,4}$ ]] || ((10#$check_timeout == 0)); then
    die "$E_USAGE" "--check-timeout $(shown "$check_timeout") must be a number of seconds (1-9999)"
  fi
  check_timeout=$((10#$check_timeout))
  if ! parse_image "$check_image"; then
    die "$E_USAGE" "--check-image $(shown "$check_image") is not an image reference"
  fi
  image_repository="" image_tag="" image_digest=""
  if [[ -n $image ]]; then parse_image "$image"; fi

  # --- tools ---------------------------------------------------------------------------------
  local tool
  for tool in helm kubectl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      die "$E_TOOL" "$tool is not installed (or not in PATH); install it and run this again"
    fi
  done
  if [[ $chart_url == http://* || $chart_url == https://* ]] && ! command -v curl >/dev/null 2>&1; then
    die "$E_TOOL" "curl is not installed (or not in PATH)"
  fi
  if [[ -n $ca_file ]] && ! command -v openssl >/dev/null 2>&1; then
    die "$E_TOOL" "openssl is not installed (or not in PATH): it checks --ca-file against --ca-hash"
  fi
  local kubectl_version helm_version
  kubectl_version=$(kubectl version --client -o json </dev/null 2>/dev/null |
    sed -n 's/.*"gitVersion": *"\(v[^"]*\)".*/\1/p' | head -n 1 || true)
  helm_version=$(helm version --template '{{.Version}}' </dev/null 2>/dev/null || true)
  if [[ -z $kubectl_version || -z $helm_version ]]; then
    die "$E_TOOL" "cannot tell the versions of kubectl (${kubectl_version:-?}) and helm (${helm_version:-?}): \`kubectl version --client\` or \`helm version\` failed; kubectl ${MIN_KUBECTL} and helm ${MIN_HELM} or later are needed"
  fi
  if ! version_ge "$kubectl_version" "$MIN_KUBECTL"; then
    die "$E_TOOL" "kubectl ${kubectl_version} is too old: install kubectl ${MIN_KUBECTL} or later"
  fi
  if ! version_ge "$helm_version" "$MIN_HELM"; then
    die "$E_TOOL" "helm ${helm_version} is too old: install helm ${MIN_HELM} or later (Helm 3)"
  fi
  info "tools: kubectl ${kubectl_version}, helm ${helm_version}"

  tmp=$(mktemp -d "${TMPDIR:-/tmp}/dashboard-agent-install.XXXXXXXX")
  chmod 700 "$tmp"

  # --- cluster -------------------------------------------------------------------------------
  local -a kube=(kubectl --request-timeout=10s) helm_ctx=()
  if [[ -n $kube_context ]]; then
    kube+=(--context "$kube_context")
    helm_ctx=(--kube-context "$kube_context")
  fi
  local where="the current kube context"
  if [[ -n $kube_context ]]; then where="kube context $(shown "$kube_context")"; fi
  if ! "${kube[@]}" version -o json </dev/null >/dev/null 2>"$tmp/err"; then
    die "$E_UNREACHABLE" "cannot reach the cluster of ${where}: $(tail -n 3 "$tmp/err" | tr '\n' ' ')(check KUBECONFIG / --kube-context)"
  fi
  local server
  server=$("${kube[@]}" config view --minify -o 'jsonpath={.clusters[0].cluster.server}' </dev/null 2>/dev/null || true)
  local context=$kube_context
  if [[ -z $context ]]; then
    context=$("${kube[@]}" config current-context </dev/null 2>/dev/null || true)
  fi
  info "kube context: ${context:-<none>}, cluster ${server:-unknown} (${where})"

  local create_ns=false
  if ! "${kube[@]}" get namespace "$namespace" </dev/null >/dev/null 2>&1; then
    create_ns=true
  fi
  local -a missing=() checks=()
  if [[ $create_ns == true ]]; then checks+=("create namespaces"); fi
  checks+=("create clusterroles" "create clusterrolebindings")
  local c
  for c in roles rolebindings secrets configmaps serviceaccounts deployments.apps; do
    checks+=("create $c -n $namespace")
  done
  if [[ $permissions == admin ]]; then checks+=("* * --all-namespaces"); fi
  # The checks run in parallel (each is one kubectl process and one API round trip).
  local i
  for i in "${!checks[@]}"; do
    (
      # "* * ..." must not glob: read -a does not expand, and the words go to kubectl as they are.
      read -r -a words <<<"${checks[$i]}"
      if "${kube[@]}" auth can-i "${words[@]}" </dev/null >/dev/null 2>&1; then
        echo yes >"$tmp/can-i.$i"
      fi
    ) &
  done
  wait
  for i in "${!checks[@]}"; do
    if [[ ! -f $tmp/can-i.$i ]]; then
      missing+=("kubectl auth can-i ${checks[$i]}")
    fi
  done
  if ((${#missing[@]} > 0)); then
    local m
    m=$(printf '\n  %s' "${missing[@]}")
    die "$E_FORBIDDEN" "the user of ${where} may not install the agent; these checks answered no:${m}
(installing needs a cluster admin; permissions 'admin' needs cluster-admin itself)"
  fi

  # --- the dashboard's CA --------------------------------------------------------------------
  local -a curl_ca=() helm_ca=()
  if [[ -n $ca_file ]]; then
    local got_ca
    got_ca=$(cert_hash "$ca_file") || die "$E_CA" "--ca-file $(shown "$ca_file") holds no readable certificate; nothing was installed"
    if [[ $got_ca != "$ca_hash" ]]; then
      die "$E_CA" "the dashboard CA in $(shown "$ca_file") has hash ${got_ca}, but the install command pins ${ca_hash}: this is not the dashboard the command was generated by (or its CA changed). Nothing was installed; generate a new command in the dashboard and retry."
    fi
    info "dashboard CA verified: ${got_ca}"
    curl_ca=(--cacert "$ca_file")
    helm_ca=(--ca-file "$ca_file")
  fi

  # --- chart ---------------------------------------------------------------------------------
  local chart
  if [[ $chart_url == http://* || $chart_url == https://* ]]; then
    info "downloading the chart: $chart_url"
    chart="$tmp/dashboard-agent-${CHART_VERSION}.tgz"
    local rc=0
    curl -fsSL --connect-timeout 10 --max-time 120 --retry 2 --proto '=https,http' \
      "${curl_ca[@]}" -o "$chart" "$chart_url" </dev/null 2>"$tmp/err" || rc=$?
    if ((rc != 0)); then
      local hint=""
      if ((rc == 60 || rc == 77 || rc == 35)); then
        if ((${#curl_ca[@]} > 0)); then
          hint=" (the dashboard's certificate is not signed by the pinned CA in $(shown "$ca_file"))"
        else
          hint=" (curl does not trust the dashboard's certificate: run the dashboard's install command, which passes --ca-file, or export CURL_CA_BUNDLE=/path/to/dashboard-ca.pem; see docs/agent.md)"
        fi
      fi
      die "$E_DOWNLOAD" "downloading $chart_url failed (curl exit $rc): $(tr '\n' ' ' <"$tmp/err")${hint}"
    fi
  else
    chart=$chart_url
  fi
  if [[ -n $chart_sha256 ]]; then
    local got
    got=$(sha256_of "$chart")
    if [[ $got != "$chart_sha256" ]]; then
      die "$E_CHART_HASH" "the chart from $(shown "$chart_url") has SHA-256 ${got}, but the install command expects ${chart_sha256}: it was changed after the dashboard built it (or the command is from another dashboard version). Nothing was installed; generate a new command in the dashboard and retry."
    fi
    info "chart verified: sha256 $got"
  else
    printf 'install.sh: warning: no --chart-sha256: the chart is installed without checking it\n' >&2
  fi

  # --- values and helm -----------------------------------------------------------------------
  local values="$tmp/values.yaml"
  (
    umask 077
    write_values "$token" >"$values"
  )
  local -a helm_args=(upgrade --install "$RELEASE" "$chart" --namespace "$namespace" --values "$values")
  if [[ $create_ns == true ]]; then helm_args+=(--create-namespace); fi
  for f in "${extra_values[@]}"; do helm_args+=(--values "$f"); done
  helm_args+=("${helm_ctx[@]}" "${helm_ca[@]}")

  # The values (schema included) are checked before anything changes; output discarded: it
  # would show the token.
  if ! helm template "$RELEASE" "$chart" --namespace "$namespace" --values "$values" \
    "${extra_values[@]/#/--values=}" </dev/null >/dev/null 2>"$tmp/err"; then
    cat "$tmp/err" >&2
    die "$E_HELM" "the chart refused these values (see above)"
  fi

  if [[ $dry_run == true ]]; then
    info "dry run: nothing was changed. Would run:"
    printf '  helm'
    printf ' %q' "${helm_args[@]}"
    printf '\nwith values (%s):\n' "$values"
    write_values "<redacted>" | sed 's/^/  /'
    return 0
  fi

  if [[ $assume_yes != true ]]; then
    confirm "Install the agent for '${cluster_name}' into kube context ${context:-<none>} (${server:-unknown})?"
  fi

  if [[ $reachability == true ]]; then
    check_reachability
  else
    info "reachability check skipped (--skip-reachability-check): pods in the cluster must reach ${dashboard_url}"
  fi

  local had_credential=false
  if [[ -n $(registered_cluster_id) ]]; then had_credential=true; fi

  info "installing release $RELEASE in namespace $namespace (permissions: $permissions)"
  if [[ $allow_impersonation == true ]]; then
    info "the agent may act as the dashboard's users (names starting with ${impersonation_prefix:-dashboard:})"
  fi
  if ! helm "${helm_args[@]}" </dev/null; then
    die "$E_HELM" "helm upgrade --install failed (see above)"
  fi
  local rollout
  rollout="kubectl${kube_context:+ --context $(shown "$kube_context")} -n ${namespace} rollout status deployment/${RELEASE}"
  if [[ $wait != true ]]; then
    info "done (--no-wait). The cluster appears in the dashboard as '$cluster_name' once the agent pod is ready:"
    printf '  %s\n' "$rollout"
    return 0
  fi
  wait_for_agent "$had_credential"
}

# The cluster id in the agent's credential Secret (written once it registered), or nothing.
registered_cluster_id() {
  local data id
  data=$("${kube[@]}" -n "$namespace" get secret "$CREDENTIAL_SECRET" \
    -o 'go-template={{index .data "credential.json"}}' </dev/null 2>/dev/null || true)
  if [[ -z $data || $data == "<no value>" ]]; then return 0; fi
  id=$(printf '%s' "$data" | base64 -d 2>/dev/null |
    sed -n 's/.*"cluster_id" *: *"\([0-9A-Za-z-]*\)".*/\1/p' || true)
  if [[ $id =~ ^[0-9A-Za-z-]{1,64}$ ]]; then printf '%s' "$id"; fi
}

# Waits until the agent has registered with the dashboard (its credential Secret holds a cluster
# id; on an upgrade, until the new pod is rolled out), then prints the cluster's dashboard link.
wait_for_agent() {
  local had_credential=$1 deadline=$((SECONDS + wait_timeout)) id=""
  info "waiting up to ${wait_timeout}s for the agent to connect to the dashboard (--no-wait to skip)"
  if [[ $had_credential == true ]]; then
    if ! "${kube[@]/--request-timeout=10s/--request-timeout=0}" -n "$namespace" rollout status \
      "deployment/${RELEASE}" --timeout "${wait_timeout}s" </dev/null >/dev/null 2>"$tmp/err"; then
      wait_failed "the upgraded agent pod did not become ready: $(tail -n 2 "$tmp/err" | tr '\n' ' ')"
    fi
    id=$(registered_cluster_id)
  else
    while ((SECONDS < deadline)); do
      id=$(registered_cluster_id)
      if [[ -n $id ]]; then break; fi
      sleep 2
    done
    if [[ -z $id ]]; then
      wait_failed "the agent did not register within ${wait_timeout}s"
    fi
  fi
  info "the agent is connected: cluster '${cluster_name}' is in the dashboard"
  if [[ -n $http_url && -n $id ]]; then
    printf '  %s/clusters/%s\n' "$http_url" "$id"
  fi
}

wait_failed() {
  local ctx=${kube_context:+ --context $(shown "$kube_context")}
  die "$E_WAIT" "$1. The release is installed; to find out why:
  kubectl${ctx} -n ${namespace} get pods -l app.kubernetes.io/name=dashboard-agent
  kubectl${ctx} -n ${namespace} describe deployment/${RELEASE}   (image pull errors, pending pods)
  kubectl${ctx} -n ${namespace} logs deployment/${RELEASE}   (TLS pin, token, network errors)
The agent must reach ${dashboard_url}; once it does, the cluster appears in the dashboard."
}

# Starts a short-lived pod that connects to the dashboard's agent endpoint, to find out before
# installing whether the cluster can reach it. Where no pod can run (no ready node, no permission,
# the image cannot be pulled) it says so and goes on: the agent's own logs will tell.
check_reachability() {
  local hostport=${dashboard_url#*://} host port
  hostport=${hostport%/}
  port=${hostport##*:}
  host=${hostport%:*}
  host=${host#[}
  host=${host%]}
  local manual="check yourself that pods in this cluster can open a TCP connection to ${host}:${port} (skip this with --skip-reachability-check)"
  local ready
  ready=$("${kube[@]}" get nodes -o 'jsonpath={range .items[*]}{range .status.conditions[?(@.type=="Ready")]}{.status}{"\n"}{end}{end}' </dev/null 2>/dev/null | grep -c '^True$' || true)
  if [[ ${ready:-0} == 0 ]]; then
    info "reachability check skipped: the cluster has no ready node to run a test pod on (or you may not list nodes); ${manual}"
    return 0
  fi
  local ns=$namespace
  if [[ $create_ns == true ]]; then ns=default; fi
  if ! "${kube[@]}" auth can-i create pods -n "$ns" </dev/null >/dev/null 2>&1; then
    info "reachability check skipped: you may not create pods in namespace ${ns}; ${manual}"
    return 0
  fi
  local pod="dashboard-agent-preflight-$RANDOM$RANDOM" rc=0
  local -a limit=()
  if command -v timeout >/dev/null 2>&1; then limit=(timeout "$((check_timeout + 30))"); fi
  info "checking from a pod (${check_image}) that the cluster reaches ${host}:${port} (up to ${check_timeout}s for it to start)"
  "${limit[@]}" "${kube[@]/--request-timeout=10s/--request-timeout=0}" -n "$ns" run "$pod" \
    --rm --attach --quiet --restart=Never --image "$check_image" \
    --pod-running-timeout="${check_timeout}s" --labels app.kubernetes.io/name=dashboard-agent-preflight \
    --command -- nc -w 10 "$host" "$port" </dev/null >"$tmp/reach" 2>&1 || rc=$?
  if ((rc == 0)); then
    info "the cluster reaches ${host}:${port}"
    return 0
  fi
  # Whether the pod ran at all: a pod that never started tells nothing about the network.
  if ((rc == 124)) || grep -qiE 'timed out waiting|ErrImagePull|ImagePullBackOff|Unschedulable|forbidden|exceeded quota' "$tmp/reach"; then
    "${kube[@]}" -n "$ns" delete pod "$pod" --ignore-not-found --wait=false </dev/null >/dev/null 2>&1 || true
    info "reachability check inconclusive: the test pod did not run ($(tail -n 1 "$tmp/reach" | tr -d '\r'))"
    info "${manual}"
    return 0
  fi
  die "$E_AGENT_UNREACHABLE" "a pod in this cluster could not connect to ${host}:${port} (the dashboard's agent endpoint): $(tail -n 2 "$tmp/reach" | tr '\n' ' ')
Nothing was installed. Fix the network path (firewall, egress policy, DNS, the dashboard's GRPC_PUBLIC_ADDR), or pass --skip-reachability-check to install anyway."
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Everything runs from main, called on the last line: a truncated download runs nothing.
main "$@"
