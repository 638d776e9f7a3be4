{{- define "gslb.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gslb.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: gslb
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "gslb.selectorLabels" -}}
app.kubernetes.io/name: coredns-gslb
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gslb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gslb.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The --source of gslb-syncer: kubernetes:KUBECONFIG?OPTIONS. */}}
{{- define "gslb.source" -}}
{{- $c := .Values.gslbConfig -}}
{{- $members := list -}}
{{- range $c.memberClusters -}}
{{- $members = append $members (required "gslbConfig.memberClusters[].clusterContext is required" .clusterContext) -}}
{{- end -}}
{{- $opts := list (printf "members=%s" (join "," $members)) (printf "zones=%s" (.Values.zone | urlquery)) (printf "grace=%s" $c.grace) (printf "metrics=:%v" .Values.syncerMetricsPort) -}}
{{- with $c.configContext -}}{{- $opts = append $opts (printf "config=%s" (. | urlquery)) -}}{{- end -}}
{{- with $c.selector -}}{{- $opts = append $opts (printf "selector=%s" (. | urlquery)) -}}{{- end -}}
{{- if and $c.optionalKinds (ne $c.optionalKinds "auto") -}}{{- $opts = append $opts (printf "kinds=%s" ($c.optionalKinds | urlquery)) -}}{{- end -}}
{{- if and $c.routerNamespace (ne $c.routerNamespace "openshift-ingress") -}}{{- $opts = append $opts (printf "router-namespace=%s" ($c.routerNamespace | urlquery)) -}}{{- end -}}
{{- $lease := $c.lease | default (printf "%s/gslb-syncer" .Release.Namespace) -}}
{{- if ne $lease "none" -}}{{- $opts = append $opts (printf "lease=%s" $lease) -}}{{- end -}}
{{- if .Values.probeSharing.enabled -}}
{{- $ns := ternary .Release.Namespace (first (splitList "/" $lease)) (eq $lease "none") -}}
{{- $opts = append $opts (printf "probe-lease=%s/gslb-probes-%s" $ns (required "site is required with probeSharing" .Values.site)) -}}
{{- end -}}
{{- printf "kubernetes:/etc/gslb/members/%s?%s" $c.membersSecretKey (join "&" $opts) -}}
{{- end -}}

{{/* AMKO-style selector {label: {k: v}} (or a LabelSelector) → LabelSelector. */}}
{{- define "gslb.selector" -}}
{{- if .label -}}
matchLabels: {{ toJson .label }}
{{- else -}}
{{ toYaml . }}
{{- end -}}
{{- end -}}

{{/* Where the syncer finds its delegation file and the TSIG key. */}}
{{- define "gslb.delegationDir" -}}/etc/gslb/delegation{{- end -}}
{{- define "gslb.tsigDir" -}}/etc/gslb/tsig{{- end -}}

{{/* The namespace of the DNSEndpoint object: the release's by default. */}}
{{- define "gslb.delegationNamespace" -}}
{{- .Values.delegation.dnsEndpoint.namespace | default .Release.Namespace -}}
{{- end -}}

{{/* The TSIG key Secret is mounted: RFC 2136 with a key. */}}
{{- define "gslb.tsigMounted" -}}
{{- $r := .Values.delegation.rfc2136 -}}
{{- if and .Values.delegation.enabled $r.enabled (not $r.unsigned) -}}true{{- end -}}
{{- end -}}

{{/* The delegation file (syncer/README.md, "Automatic delegation"). */}}
{{- define "gslb.delegationFile" -}}
{{- $d := .Values.delegation -}}
{{- if not (or $d.rfc2136.enabled $d.dnsEndpoint.enabled) -}}
{{- fail "delegation.enabled needs delegation.rfc2136.enabled or delegation.dnsEndpoint.enabled" -}}
{{- end -}}
{{- $ns := dict "name" ($d.nameServer.name | default .Values.soa.mname) "addresses" ($d.nameServer.addresses | default list) -}}
{{- $f := dict "zone" .Values.zone "nameServer" $ns "ttl" ($d.ttl | int) "withdrawAfter" $d.withdrawAfter "interval" $d.interval -}}
{{- with $d.readiness -}}
{{- $r := dict "siteDNS" (ne .siteDNS false) -}}
{{- with .timeout -}}{{- $_ := set $r "timeout" . -}}{{- end -}}
{{- $_ := set $f "readiness" $r -}}
{{- end -}}
{{- with $d.rfc2136 -}}
{{- if .enabled -}}
{{- $r := dict "server" (required "delegation.rfc2136.server is required" .server) "parentZone" (required "delegation.rfc2136.parentZone is required" .parentZone) -}}
{{- if .unsigned -}}
{{- $_ := set $r "unsigned" true -}}
{{- else -}}
{{- $_ := set $r "keyFile" (printf "%s/%s" (include "gslb.tsigDir" $) (required "delegation.rfc2136.tsigSecretKey is required" .tsigSecretKey)) -}}
{{- end -}}
{{- with .timeout -}}{{- $_ := set $r "timeout" . -}}{{- end -}}
{{- $_ := set $f "rfc2136" $r -}}
{{- end -}}
{{- end -}}
{{- if $d.dnsEndpoint.enabled -}}
{{- $e := dict "namespace" (include "gslb.delegationNamespace" .) -}}
{{- with $d.dnsEndpoint.name -}}{{- $_ := set $e "name" . -}}{{- end -}}
{{- with .Values.gslbConfig.configContext -}}
{{- $_ := set $e "kubeconfig" (printf "/etc/gslb/members/%s" $.Values.gslbConfig.membersSecretKey) -}}
{{- $_ := set $e "context" . -}}
{{- end -}}
{{- $_ := set $f "dnsEndpoint" $e -}}
{{- end -}}
{{- toYaml $f -}}
{{- end -}}
