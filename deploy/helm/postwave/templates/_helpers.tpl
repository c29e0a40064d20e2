{{/* Chart name, truncated to the 63 characters Kubernetes allows in names. */}}
{{- define "postwave.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Resource-name prefix. Kept to 40 characters so "<prefix>-rebuild-projection-r<revision>" and
"<prefix>-feedback-projector" stay within 63.
*/}}
{{- define "postwave.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "postwave.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "postwave.selectorLabels" -}}
app.kubernetes.io/name: {{ include "postwave.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "postwave.labels" -}}
helm.sh/chart: {{ include "postwave.chart" . }}
{{ include "postwave.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: postwave
{{- end }}

{{/* Labels of one service. Call with (dict "root" $ "app" "<app>"). */}}
{{- define "postwave.componentLabels" -}}
{{ include "postwave.labels" .root }}
app.kubernetes.io/component: {{ .app }}
{{- end }}

{{- define "postwave.componentSelectorLabels" -}}
{{ include "postwave.selectorLabels" .root }}
app.kubernetes.io/component: {{ .app }}
{{- end }}

{{- define "postwave.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "postwave.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "postwave.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "postwave.configName" -}}
{{- printf "%s-config" (include "postwave.fullname" .) }}
{{- end }}

{{- define "postwave.databaseSecretName" -}}
{{- default (printf "%s-database" (include "postwave.fullname" .)) .Values.database.existingSecret }}
{{- end }}

{{- define "postwave.verpSecretName" -}}
{{- default (printf "%s-verp" (include "postwave.fullname" .)) .Values.sendingMta.verp.existingSecret }}
{{- end }}

{{/*
Env shared by every container (services and the rebuild Job). Settings common to all apps come
from the ConfigMap; what differs per app or is secret is set here.
Call with (dict "root" $ "app" "<app>" "httpPort" <port>).
*/}}
{{- define "postwave.env" -}}
{{- $root := .root -}}
- name: POSTWAVE_INSTANCE
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "postwave.databaseSecretName" $root }}
      key: {{ $root.Values.database.secretKey }}
- name: KAFKA_CLIENT_ID
  value: {{ printf "%s-%s" $root.Values.kafka.clientIdPrefix .app | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "%s%s" $root.Values.telemetry.serviceNamePrefix .app | quote }}
- name: HTTP_PORT
  value: {{ .httpPort | quote }}
{{- end }}

{{/*
User-supplied env, appended last. Names must not repeat the chart's own (server-side apply
rejects duplicate env names). Call with (dict "root" $ "extraEnv" <list>).
*/}}
{{- define "postwave.extraEnv" -}}
{{- with .root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with .extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* VERP env, rendered only when a VERP domain is configured. Call with the root context. */}}
{{- /* The VERP secret is required (return paths are always HMAC-tagged); the domain is optional. */}}
{{- define "postwave.verpEnv" -}}
{{- if .Values.sendingMta.verp.domain }}
- name: MTA_VERP_DOMAIN
  value: {{ .Values.sendingMta.verp.domain | quote }}
{{- end }}
- name: MTA_VERP_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "postwave.verpSecretName" . }}
      key: {{ .Values.sendingMta.verp.secretKey }}
{{- end }}

{{- define "postwave.envFrom" -}}
- configMapRef:
    name: {{ include "postwave.configName" . }}
{{- end }}

{{/* Probes on GET /health of the "http" port. Call with the root context. */}}
{{- define "postwave.probes" -}}
{{- $p := .Values.probes -}}
startupProbe:
  httpGet: { path: /health, port: http }
  periodSeconds: {{ $p.startup.periodSeconds }}
  timeoutSeconds: {{ $p.startup.timeoutSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
readinessProbe:
  httpGet: { path: /health, port: http }
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
livenessProbe:
  httpGet: { path: /health, port: http }
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
{{- end }}

{{/*
Pod-level fields shared by the Deployments and the Job: service account, security context,
scheduling (a service's own settings replace the global ones) and the writable /tmp.
Call with (dict "root" $ "component" <values of the service>).
*/}}
{{- define "postwave.podCommon" -}}
{{- $root := .root -}}
{{- $c := .component -}}
serviceAccountName: {{ include "postwave.serviceAccountName" $root }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with (default $root.Values.nodeSelector $c.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default $root.Values.tolerations $c.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default $root.Values.affinity $c.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Pod-template annotations: global, then the service's own (which win), then a config checksum so
a ConfigMap change rolls the pods. Call with (dict "root" $ "component" <values of the service>).
*/}}
{{- define "postwave.podAnnotations" -}}
{{- $root := .root -}}
{{- $checksum := include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum -}}
{{- $annotations := mergeOverwrite (dict) (deepCopy $root.Values.podAnnotations) (deepCopy (.component.podAnnotations | default dict)) (dict "checksum/config" $checksum) -}}
{{- toYaml $annotations }}
{{- end }}

{{/*
The Deployment of one service. The per-service templates pass what differs:
(dict "root" $ "app" "<app>" "component" <values> "appEnv" <yaml> "appPorts" <yaml>
      "appVolumes" <yaml> "appVolumeMounts" <yaml> "hostNetwork" <bool>), the yaml arguments being
rendered list items (strings) or empty.
*/}}
{{- define "postwave.deployment" -}}
{{- $root := .root -}}
{{- $c := .component -}}
{{- $autoscaling := $c.autoscaling | default dict -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "postwave.fullname" $root }}-{{ .app }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "postwave.componentLabels" . | nindent 4 }}
spec:
  {{- if not $autoscaling.enabled }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- if .hostNetwork }}
  # Host ports are per node: let the old pod go before its replacement binds the same ports.
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }
  {{- end }}
  selector:
    matchLabels:
      {{- include "postwave.componentSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "postwave.componentSelectorLabels" . | nindent 8 }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- include "postwave.podAnnotations" . | nindent 8 }}
    spec:
      {{- include "postwave.podCommon" . | nindent 6 }}
      {{- if .hostNetwork }}
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      {{- end }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .app }}
          image: {{ include "postwave.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: [node, tools/runtime/start.js]
          args: [{{ .app | quote }}]
          ports:
            - name: http
              containerPort: {{ $c.port }}
              protocol: TCP
            {{- with .appPorts }}
            {{- . | nindent 12 }}
            {{- end }}
          envFrom:
            {{- include "postwave.envFrom" $root | nindent 12 }}
          env:
            {{- include "postwave.env" (dict "root" $root "app" .app "httpPort" $c.port) | nindent 12 }}
            {{- with .appEnv }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with include "postwave.extraEnv" (dict "root" $root "extraEnv" $c.extraEnv) | trim }}
            {{- . | nindent 12 }}
            {{- end }}
          {{- include "postwave.probes" $root | nindent 10 }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- with .appVolumeMounts }}
            {{- . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
        {{- with .appVolumes }}
        {{- . | nindent 8 }}
        {{- end }}
{{- end }}

{{/* ClusterIP Service for a service's HTTP port. Same arguments as postwave.deployment. */}}
{{- define "postwave.httpService" -}}
{{- $c := .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "postwave.fullname" .root }}-{{ .app }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "postwave.componentLabels" . | nindent 4 }}
  {{- with $c.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $c.service.type }}
  selector:
    {{- include "postwave.componentSelectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $c.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}

{{/* HPA and PDB of a scalable service (planner, projector). Same arguments as postwave.deployment. */}}
{{- define "postwave.scaling" -}}
{{- $c := .component -}}
{{- if $c.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "postwave.fullname" .root }}-{{ .app }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "postwave.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "postwave.fullname" .root }}-{{ .app }}
  minReplicas: {{ $c.autoscaling.minReplicas }}
  maxReplicas: {{ $c.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $c.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- if $c.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "postwave.fullname" .root }}-{{ .app }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "postwave.componentLabels" . | nindent 4 }}
spec:
  minAvailable: {{ $c.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "postwave.componentSelectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
