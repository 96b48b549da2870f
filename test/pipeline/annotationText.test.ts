import pino from 'pino';
import { GrafanaAnnotator } from '../../src/server/pipeline/annotations';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { anomaly } from '../../src/app/testUtils/fixtures';

// Grafana shows an annotation's text as sanitised HTML (AnnotationTooltipBody in grafana/grafana
// puts textUtil.sanitize(text) in dangerouslySetInnerHTML): links and images survive. A target id
// carries label values, which whoever makes the metrics writes, e.g. a request path label.
it("writes a target's label values into the annotation as text, not as HTML Grafana would render", async () => {
  const bodies: Array<{ text: string }> = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    bodies.push(JSON.parse(String(init.body)));
    return new Response('{"id":7}', { status: 200 });
  }) as unknown as typeof fetch;
  // Only what the annotator asks of the store: which annotation an anomaly has, and remembering it.
  const repo = {
    annotationOf: async () => null,
    setAnnotation: async () => undefined,
  } as unknown as PipelineRepository;
  const annotator = new GrafanaAnnotator({
    grafanaUrl: 'http://grafana:3000',
    token: 'glsa_x',
    repo,
    logger: pino({ level: 'silent' }),
    clock: { timeout: () => new AbortController().signal },
    fetch: fetchImpl,
  });
  const { feedback: _feedback, ...opened } = anomaly(1, {
    target: 'http{path="/<a href=https://evil.example/>Approve</a><img src=https://evil.example/x.png>&"}',
  });
  annotator.opened({ anomaly: opened, object: null, score: 0.99 });
  await annotator.flush();
  expect(bodies[0].text).toContain(
    'http{path="/&lt;a href=https://evil.example/&gt;Approve&lt;/a&gt;&lt;img src=https://evil.example/x.png&gt;&amp;"}'
  );
  expect(bodies[0].text).not.toMatch(/[<>]/);
});
