# Must fail scripts/lint-deploy: an unpinned base image, ADD of a URL, a
# root final stage without EXPOSE or HEALTHCHECK, a shell-form CMD.
FROM golang:latest AS build
ADD https://example.com/tool.tar.gz /tmp/
FROM build
CMD echo serve
