namespace WorkloadProfiles.Kafka.Local;

/// <summary>
/// The broker command's control protocol: UTF-8 lines over loopback TCP. Request <c>create &lt;topic&gt; &lt;partitions&gt;</c>;
/// reply <c>created</c>, <c>exists</c> or <c>error &lt;reason&gt;</c>.
/// </summary>
public static class BrokerControlProtocol
{
    public const string CreateVerb = "create";
    public const string CreatedReply = "created";
    public const string ExistsReply = "exists";
    public const string ErrorReply = "error";

    /// <summary>Control port used when none is configured: the broker port plus this offset (9092 → 10092).</summary>
    public const int DefaultPortOffset = 1000;
}
