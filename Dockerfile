# syntax=docker/dockerfile:1.7
# One multi-target Dockerfile for the whole monorepo: api and worker share one lockfile, one
# node_modules and most of the code, so one dependency stage serves every image and each target only
# differs in its entry point (and, for GPU workers, the base image).
#   docker build --target api            -t rimwatch/api .
#   docker build --target worker         -t rimwatch/worker .          (CPU, wasm backend)
#   docker build --target worker-cuda    -t rimwatch/worker-cuda .     (tfjs-node-gpu, CUDA 11.2 + cuDNN 8)
#   docker build --target worker-webgpu  -t rimwatch/worker-webgpu .   (WebGPU over Vulkan)
# There is no compile step: TypeScript runs through tsx (a production dependency), because the worker's
# sandboxed processor (apps/worker/src/processor.cjs) registers tsx in its child process at run time.

ARG NODE_VERSION=20.19

# ---- production dependencies + generated Prisma client ----
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
ENV CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
COPY apps/dashboard/package.json apps/dashboard/
COPY packages/contracts/package.json packages/contracts/
COPY packages/db/package.json packages/db/
COPY packages/entanglement/package.json packages/entanglement/
COPY packages/model/package.json packages/model/
COPY packages/organism/package.json packages/organism/
COPY packages/pipeline/package.json packages/pipeline/
COPY packages/queue/package.json packages/queue/
COPY packages/webhooks/package.json packages/webhooks/
# scripts are skipped here (postinstall needs the schema); the client is generated below, offline
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY packages/db/scripts ./packages/db/scripts
RUN node packages/db/scripts/generate.cjs

# ---- the source tree on top of the dependencies ----
FROM deps AS source
COPY tsconfig.json ./
COPY apps ./apps
COPY packages ./packages
# the dashboard bundle (apps/dashboard/dist, served by the api at /) is built here, as postinstall would
RUN node packages/db/scripts/generate.cjs \
 && node --import tsx apps/dashboard/src/build-cli.ts \
 && rm -rf apps/*/test packages/*/test

# ---- runtime base: non-root, tini as PID 1 so SIGTERM reaches node and zombies are reaped ----
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends tini ca-certificates procps && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=source --chown=node:node /app /app
RUN mkdir -p /data/checkpoints /data/datasets && chown -R node:node /data
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]

FROM runtime AS migrate
CMD ["node", "--import", "tsx", "packages/db/src/migrate-cli.ts"]

FROM runtime AS api
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "apps/api/src/main.ts"]

# `npm run worker` would swallow SIGTERM; node itself gets it (tini forwards) and saves a checkpoint
FROM runtime AS worker
ENV RIMWATCH_BACKEND=wasm CHECKPOINT_DIR=/data/checkpoints
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD pgrep -f "apps/worker/src/main.ts" >/dev/null || exit 1
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]

# ---- CUDA worker: @tensorflow/tfjs-node-gpu 4.22 loads libtensorflow 2.9 built for CUDA 11.2 + cuDNN 8
# (tfjs-node README: "Linux GPU (Ubuntu 14.04 or higher and Cuda 11.2 w/ CUDNN v8)"). The host needs an
# NVIDIA driver >= 450.80 and the NVIDIA container toolkit. Its install downloads libtensorflow from
# storage.googleapis.com, so this stage needs network at build time.
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04 AS worker-cuda
ARG NODE_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl xz-utils tini procps python3 make g++ \
 && curl -fsSL "https://nodejs.org/dist/v${NODE_VERSION}.0/node-v${NODE_VERSION}.0-linux-x64.tar.xz" | tar -xJ -C /usr/local --strip-components=1 \
 && rm -rf /var/lib/apt/lists/* && useradd -m -u 1000 node
WORKDIR /app
COPY --from=source --chown=node:node /app /app
RUN npm install --no-save --omit=dev --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0 && chown -R node:node node_modules \
 && mkdir -p /data/checkpoints && chown -R node:node /data
ENV NODE_ENV=production RIMWATCH_BACKEND=tensorflow CHECKPOINT_DIR=/data/checkpoints TF_FORCE_GPU_ALLOW_GROWTH=true
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]

# ---- WebGPU worker: Dawn (the `webgpu` npm package) over Vulkan; needs the GPU vendor's Vulkan ICD
# from the host (NVIDIA container toolkit with NVIDIA_DRIVER_CAPABILITIES including graphics).
FROM runtime AS worker-webgpu
USER root
RUN apt-get update && apt-get install -y --no-install-recommends libvulkan1 mesa-vulkan-drivers && rm -rf /var/lib/apt/lists/*
USER node
RUN npm install --no-save --omit=dev --no-audit --no-fund webgpu@0.6.2
ENV RIMWATCH_BACKEND=webgpu CHECKPOINT_DIR=/data/checkpoints NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]
