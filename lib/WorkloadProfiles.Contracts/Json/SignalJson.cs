using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Contracts.Json;

/// <summary>
/// Enriched signals as one-line UTF-8 JSON for SOC tools that do not read Avro (kcat, Logstash's and Splunk Connect's
/// Kafka inputs): <c>wp.signals.enriched.json</c>. The shape is the format's (<see cref="EcsSignalDocument"/>,
/// <see cref="OcsfDetectionFinding"/>, <see cref="FalcoAlertDocument"/>); this class owns the encoding only.
/// </summary>
public static class SignalJson
{
    // Only what JSON requires is escaped ('"', '\\', control characters), so "MITRE ATT&CK" and non-ASCII paths read as
    // written; the output is never embedded in HTML.
    static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static byte[] Serialize(EnrichedSignal signal, SignalJsonFormat format, SignalJsonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(signal);
        options ??= SignalJsonOptions.Default;
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            switch (format)
            {
                case SignalJsonFormat.Ecs:
                    EcsSignalDocument.Write(writer, signal, options);
                    break;
                case SignalJsonFormat.Ocsf:
                    OcsfDetectionFinding.Write(writer, signal, options);
                    break;
                case SignalJsonFormat.Falco:
                    FalcoAlertDocument.Write(writer, signal, options);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown signal JSON format.");
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc cref="Serialize(EnrichedSignal, SignalJsonFormat, SignalJsonOptions?)"/>
    public static byte[] Serialize(EnrichedSignal signal, SignalJsonOptions options) => Serialize(signal, options.Format, options);
}
