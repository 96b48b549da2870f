# The Failure Prophet backend (src/server) as a container image.
# Build stage: native modules (better-sqlite3) compile here against this image's Node.
# Node 20 (end of life 2026-04-30), not .nvmrc's 22: the 100,000-series fleet peaks at 1,025-1,028 MiB
# on Node 22 and 1,039 on Node 24 against 1,000 on Node 20, over the Deployment's 1 GiB limit
# (benchmarks/RESULTS.md, "Node 22 and the 1 GiB fleet", stop 38's Node 24 row). Moving needs that
# memory found or the limit raised: a team call.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:server && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production FP_PORT=3001 FP_DATA_DIR=/var/lib/failureprophet
# glibc's malloc with a fixed mmap threshold: by default it raises the threshold (up to 32 MiB) each
# time a large block is freed, and serves later large blocks (answers, SQLite's, V8's compiler zones)
# from its heap, where they stay as free memory it cannot give back. 100,000 series settle ~30 MiB
# and peak ~20 MiB lower (benchmarks/RESULTS.md, issue 16); the fleet bench runs with this too.
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist-server ./dist-server
COPY --from=build /app/package.json ./package.json
RUN mkdir -p /var/lib/failureprophet && chown node:node /var/lib/failureprophet
USER node
EXPOSE 3001
CMD ["node", "--enable-source-maps", "dist-server/main.mjs"]
