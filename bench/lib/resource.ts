/**
 * A typical Kubernetes-style custom resource of about 1.3 KB of JSON: metadata with labels,
 * annotations, an owner reference and a finalizer; a spec with replicas, image, ports, env and
 * resources; a status with observedGeneration, phase and two conditions.
 */

export interface BenchSpec {
  replicas: number;
  image: string;
  paused: boolean;
  ports: { name: string; containerPort: number; protocol: string }[];
  env: { name: string; value: string }[];
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
}

export interface BenchStatus {
  observedGeneration: number;
  readyReplicas: number;
  phase: string;
  conditions: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
}

export function makeSpec(i: number, version = 1): BenchSpec {
  return {
    replicas: 3,
    image: `registry.example.com/team/service-${i % 50}:1.${version}.0`,
    paused: false,
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'FEATURE_FLAGS', value: 'alpha,beta' },
    ],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  };
}

export function makeStatus(generation: number): BenchStatus {
  return {
    observedGeneration: generation,
    readyReplicas: 3,
    phase: 'Running',
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastTransitionTime: '2026-01-01T00:00:00Z' },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet has successfully progressed.', lastTransitionTime: '2026-01-01T00:00:00Z' },
    ],
  };
}

export function makeMetadataInput(i: number): {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  finalizers: string[];
  ownerReferences: { kind: string; name: string; controller: boolean }[];
} {
  return {
    name: `obj-${i}`,
    namespace: `ns-${i % 100}`,
    labels: { app: `service-${i % 50}`, tier: 'backend', 'app.kubernetes.io/managed-by': 'rx-reconcile' },
    annotations: {
      'deployment.kubernetes.io/revision': String(1 + (i % 7)),
      'example.com/last-applied-hash': `sha256:${(i * 2654435761).toString(16).padStart(16, '0')}`,
    },
    finalizers: ['example.com/cleanup'],
    ownerReferences: [{ kind: 'Application', name: `app-${i % 1000}`, controller: true }],
  };
}

/** The whole object as a store would hand it out (for the diff and status benchmarks). */
export function makeResource(i: number): {
  kind: string;
  metadata: Record<string, unknown>;
  spec: BenchSpec;
  status: BenchStatus;
} {
  return {
    kind: 'Service',
    metadata: {
      ...makeMetadataInput(i),
      uid: `0b6f${i.toString(16).padStart(8, '0')}-5d2c-4c1e-9a57-3f1e2d4c5b6a`,
      version: String(1000 + i),
      generation: 4,
      creationTimestamp: '2026-01-01T00:00:00.000Z',
    },
    spec: makeSpec(i),
    status: makeStatus(4),
  };
}
