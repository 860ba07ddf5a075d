# syntax=docker/dockerfile:1
# One multi-target Dockerfile for the project's services (docker-compose.yml builds each target):
#   docker build --target agent|streams|sink|explorer -t workloadprofiles/<target> .
# The agent's eBPF sensor is CO-RE: compiled once against the build machine's kernel BTF, it relocates on any
# kernel with BTF at load time. The explorer's build installs its chart library with npm (package-lock.json).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang llvm libbpf-dev bpftool nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# WP_BTF: a vmlinux BTF file for the sensor build; the default reads the build host's /sys/kernel/btf/vmlinux.
ARG WP_BTF=/sys/kernel/btf/vmlinux
ENV WP_BTF=${WP_BTF}
RUN dotnet publish agent/WorkloadProfiles.Agent -c Release -o /out/agent \
 && dotnet publish streams/WorkloadProfiles.Streams.Host -c Release -o /out/streams \
 && dotnet publish streams/WorkloadProfiles.Sink -c Release -o /out/sink \
 && dotnet publish explorer/WorkloadProfiles.Explorer -c Release -o /out/explorer

FROM mcr.microsoft.com/dotnet/runtime:10.0 AS agent
# libbpf loads the sensor; the agent runs as root with the capabilities compose grants (BPF, PERFMON, SYS_RESOURCE,
# SYS_PTRACE), /sys/kernel/btf, /sys/fs/cgroup, tracefs and the runtime socket.
RUN apt-get update && apt-get install -y --no-install-recommends libbpf1 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out/agent .
ENTRYPOINT ["dotnet", "wp-agent.dll"]
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
