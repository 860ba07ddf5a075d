// Compiled into every executable and test project that references WorkloadProfiles.Kafka (see Directory.Build.targets),
// so librdkafka is pinned when the process starts, even if it builds a Confluent.Kafka client before touching our code.
namespace WorkloadProfiles.Kafka.Pinning;

internal static class RdkafkaPinInitializer
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Initialize() => global::WorkloadProfiles.Kafka.RdkafkaPin.Ensure();
}
