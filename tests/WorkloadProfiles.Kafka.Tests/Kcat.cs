using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Kafka.Tests;

/// <summary>kcat, a client in its own process on its own librdkafka (Debian's): a real outside peer for the broker.</summary>
internal static class Kcat
{
    const string Program = "/usr/bin/kcat";

    public static Task<CommandResult> RunAsync(IEnumerable<string> arguments, IEnumerable<string> input, TimeSpan timeout) =>
        File.Exists(Program)
            ? ExternalCommand.RunAsync(Program, arguments, input, timeout)
            : throw new InvalidOperationException($"{Program} is missing: install it with 'apt-get install -y kcat' (.ci/run does).");
}
