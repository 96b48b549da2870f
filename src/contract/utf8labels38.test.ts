import { putWatchesBodySchema, watchDefinitionSchema } from './watches';
import { promqlLabelName } from './vocabulary';

// Prometheus 3 takes any non-empty UTF-8 label name (prometheus/common model.LabelName.IsValid under
// UTF8Validation); OpenTelemetry's names (`service.name`, `k8s.pod.name`) reach queries unescaped.
const OTEL = { name: 'otel', queries: { latency: 'histogram_quantile(0.99, rate(http_duration_bucket[5m]))' } };

describe("a watch's label names", () => {
  it('takes any label name Prometheus 3 takes, in target, peers and object', () => {
    const watch = {
      ...OTEL,
      target: ['k8s.namespace.name', 'k8s.pod.name', 'service.name', 'job', '__name__', 'ünï code', 'a"b=c,d}'],
      peers: ['k8s.namespace.name', 'service.name'],
      object: { kind: 'Pod', name: 'k8s.pod.name', namespace: 'k8s.namespace.name' },
    };
    expect(watchDefinitionSchema.parse(watch)).toEqual(watch);
  });

  it('refuses an empty name, invalid UTF-8 and a NUL, saying why at the name', () => {
    const refused: Array<[string, string]> = [
      ['', 'A Prometheus label name cannot be empty'],
      ['pod\ud800', '"pod\\ud800" is not a Prometheus label name: not valid UTF-8 (it holds a lone surrogate)'],
      [
        'a\u0000b',
        '"a\\u0000b" is not a label name a watch can use: it holds U+0000 (NUL), which the stores cannot keep',
      ],
    ];
    for (const [name, message] of refused) {
      for (const field of ['target', 'peers'] as const) {
        const result = putWatchesBodySchema.safeParse({ watches: [{ ...OTEL, [field]: ['job', name] }] });
        expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['watches', 0, field, 1], message })]);
      }
      const object = watchDefinitionSchema.safeParse({ ...OTEL, object: { kind: 'Pod', name } });
      expect(object.error?.issues).toEqual([expect.objectContaining({ path: ['object', 'name'], message })]);
    }
  });
});

describe('promqlLabelName', () => {
  it('writes a classic name bare, as Prometheus 2 reads it, and quotes any other as Prometheus 3 does', () => {
    expect(['job', '__name__', 'k8s_pod_name', '_1'].map(promqlLabelName)).toEqual([
      'job',
      '__name__',
      'k8s_pod_name',
      '_1',
    ]);
    expect(['service.name', '1st', 'say "hi"\\', 'ünï'].map(promqlLabelName)).toEqual([
      '"service.name"',
      '"1st"',
      '"say \\"hi\\"\\\\"',
      '"ünï"',
    ]);
  });
});
