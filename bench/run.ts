/**
 * `npm run bench`: runs every benchmark module in turn. Add a module by appending it to BENCHMARKS;
 * each exports `run(): Promise<void>` and prints its own figures.
 */
const BENCHMARKS = ['./detection.bench', './pipeline.bench', './upstream.bench'];

async function main(): Promise<void> {
  for (const path of BENCHMARKS) {
    const mod: { run: () => Promise<void> } = await import(path);
    console.log(`\n=== ${path.replace('./', '')} ===`);
    await mod.run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
