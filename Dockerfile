# A container image of the resolver. Build: docker build -t federation-resolver .
# Run: docker run -p 8080:8080 -v "$PWD/trust-anchors:/app/trust-anchors:ro" \
#   -v "$PWD/keys.json:/run/secrets/keys.json:ro" -e RESOLVER_KEYS_FILE=/run/secrets/keys.json \
#   -e RESOLVER_ENTITY_ID=https://resolver.example.org federation-resolver

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY test ./test
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# The explorer's page, script and style sheet, served as written (dist/src reads them from here).
COPY explorer ./explorer
COPY trust-anchors ./trust-anchors
USER node
EXPOSE 8080
# node itself is the process that receives SIGTERM (exec form, no shell, no npm in between):
# it stops accepting, finishes the requests in progress within SHUTDOWN_GRACE_MS, and exits.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
