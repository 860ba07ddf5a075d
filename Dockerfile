# syntax=docker/dockerfile:1
# One multi-target Dockerfile for the project's services (docker-compose.yml builds each target):
#   docker build --target agent|streams|sink|explorer -t workloadprofiles/<target> .
# The agent's eBPF sensor is CO-RE: compiled against the pinned bpf/vmlinux/<arch>/vmlinux.h (no BTF needed on the build
# machine), it relocates on any kernel with BTF at load time. The explorer's build installs its chart library with npm
# (package-lock.json).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# clang also links the agent's native (ahead-of-time) build, with zlib.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang llvm libbpf-dev zlib1g-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG TARGETARCH
RUN dotnet publish agent/WorkloadProfiles.Agent -c Release -r linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) -o /out/agent \
 && rm -f /out/agent/*.dbg /out/agent/*.pdb /out/agent/librocksdb* /out/agent/alpine-librdkafka.so \
 && dotnet publish streams/WorkloadProfiles.Streams.Host -c Release -o /out/streams \
 && dotnet publish streams/WorkloadProfiles.Sink -c Release -o /out/sink \
 && dotnet publish explorer/WorkloadProfiles.Explorer -c Release -o /out/explorer

# The agent is a native executable (published ahead of time): no .NET runtime in its image.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS agent
# libbpf loads the sensor; at run time the agent needs BPF capabilities (compose grants BPF, PERFMON, SYS_RESOURCE,
# SYS_PTRACE to root; deploy/kubernetes sets the least-privilege set), the host's /sys/kernel/btf, /sys/fs/cgroup, tracefs
# and the runtime socket.
RUN apt-get update && apt-get install -y --no-install-recommends libbpf1 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out/agent .
ENTRYPOINT ["/app/wp-agent"]
CMD ["run"]

# wp-streams and wp-sink serve /healthz and /metrics on Kestrel: the ASP.NET Core runtime image.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS streams
WORKDIR /app
COPY --from=build /out/streams .
# The state stores' directory belongs to the user the service runs as; a named volume mounted there starts as a copy of
# it (owner included), so the stream can write its state.
RUN mkdir -p /var/lib/wp-streams && chown app:app /var/lib/wp-streams
ENV WP_Streams__StateDir=/var/lib/wp-streams
VOLUME /var/lib/wp-streams
USER app
EXPOSE 9464
ENTRYPOINT ["dotnet", "wp-streams.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS sink
WORKDIR /app
COPY --from=build /out/sink .
USER app
EXPOSE 9465
ENTRYPOINT ["dotnet", "wp-sink.dll"]
CMD ["run"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS explorer
WORKDIR /app
COPY --from=build /out/explorer .
USER app
EXPOSE 8080
ENTRYPOINT ["dotnet", "wp-explorer.dll"]
