# The coordinator in a container: the README's `npm ci` and build in a full Node image, then only the single
# executable in a slim runtime image, its state in the /data volume. Not built or run on the project's machine
# (Docker cannot run there): kept minimal on purpose. See docs/production.md.
#   docker build -t ceremony .
#   docker run -p 8090:8090 -v ceremony-data:/data ceremony serve --preset production --admin <hex> --public-url https://…

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data ceremony \
 && mkdir /data && chown ceremony /data
COPY --from=build /src/dist/ceremony /usr/local/bin/ceremony
USER ceremony
WORKDIR /data
VOLUME /data
ENV CEREMONY_DATA=/data CEREMONY_HOST=0.0.0.0 CEREMONY_PORT=8090
EXPOSE 8090
# Plain HTTP inside the container (TLS at the proxy in front); with --tls-cert, use `curl -fsSk https://…`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 CMD curl -fsS http://127.0.0.1:8090/healthz || exit 1
# serve stops cleanly on SIGTERM (in-flight uploads finish, the log is closed); give it time: docker stop -t 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["ceremony"]
CMD ["serve", "--preset", "production"]
