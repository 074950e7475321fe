# ws63emu in a container: a static binary on a distroless base, run as a
# non-root user. The sweep scenarios of the repository are copied to
# /scenarios so that the recipes in docs/ci run as they are; mount your own
# scenarios anywhere and give their path.
#
#   docker build -t ws63emu .
#   docker run --rm ws63emu sweep /scenarios/w1.scn --stride 64

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary; -trimpath: no build paths inside it. The VCS
# stamp needs .git, which .dockerignore leaves out; the version then says
# (devel).
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/ws63emu ./cmd/ws63emu \
 && /out/ws63emu version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ws63emu /usr/local/bin/ws63emu
COPY --from=build /src/scenarios/testdata/sweeps/ /scenarios/
# distroless' nonroot user (uid 65532); no shell in the image.
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/ws63emu"]
CMD ["help"]
