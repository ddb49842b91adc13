# syntax=docker/dockerfile:1
# The rtmock container image: the static rtmock and rtrecord binaries (the
# built-in scenarios are embedded in rtmock) on an empty base, as uid 65532.
#
#   docker build -t rtmock --build-arg VERSION=v0.1.0 .
#   docker run --rm -p 8080:8080 rtmock                       # default reply
#   docker run --rm -p 8080:8080 rtmock serve barge-in --addr 0.0.0.0:8080 --no-tls
#
# scripts/build-static builds the same binaries with the same flags outside
# Docker and checks them; scripts/lint-deploy lints this file.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN VERSION="${VERSION}" ./scripts/build-static /out \
 && mkdir -p /out/tmp && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/ /
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/rtmock", "healthcheck", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/rtmock"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--no-tls"]
