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
