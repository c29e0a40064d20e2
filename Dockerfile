# syntax=docker/dockerfile:1
# One image for every Postwave service. The command picks the app:
#   node tools/runtime/start.js <delivery-planner|sending-mta|bounce-qualifier|feedback-projector>, or postwave start
#   node tools/runtime/start.js feedback-projector rebuild      (one-shot read-model rebuild)
#   node tools/runtime/start.js postwave simulator --port 2525 --host 0.0.0.0   (SMTP sink)
# Build: docker build -t postwave:0.1.0 .

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# better-sqlite3 (embedded mode) falls back to a source build when no prebuilt binary matches.
FROM base AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

FROM toolchain AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npx nx run-many -t build --output-style=stream

FROM toolchain AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

FROM base AS runtime
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/tsconfig.base.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/tools/runtime ./tools/runtime
# Embedded mode keeps its SQLite file under /app/data; the node user (uid 1000) must own it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# 8080 embedded HTTP, 8081-8084 service HTTP ports, 2525 simulator SMTP, 2526 bounce SMTP.
EXPOSE 8080 8081 8082 8083 8084 2525 2526
CMD ["node", "tools/runtime/start.js", "postwave", "start"]
