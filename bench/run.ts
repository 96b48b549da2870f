/**
 * `npm run bench`: runs every benchmark module in turn; `npm run bench -- panel` only those whose
 * name contains an argument. Add a module by appending it to BENCHMARKS; each exports
 * `run(): Promise<void>` and prints its own figures.
 */
const BENCHMARKS = [
  './detection.bench',
  './pipeline.bench',
  './upstream.bench',
  './panel.bench',
  './http.bench',
  './fleet.bench',
  './intake.bench',
  './listDepth.bench',
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const path of BENCHMARKS.filter((p) => only.length === 0 || only.some((o) => p.includes(o)))) {
    const mod: { run: () => Promise<void> } = await import(path);
    console.log(`\n=== ${path.replace('./', '')} ===`);
    await mod.run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
