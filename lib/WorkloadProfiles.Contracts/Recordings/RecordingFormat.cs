namespace WorkloadProfiles.Contracts.Recordings;

/// <summary>Block compression of a recording (the Avro object container file <c>avro.codec</c>).</summary>
public enum RecordingCompression
{
    /// <summary><c>null</c>: blocks stored as written.</summary>
    None,
    /// <summary><c>deflate</c> (RFC 1951): raw event batches shrink several-fold.</summary>
    Deflate,
}

/// <summary>Constants of the Avro object container file format (Avro specification, "Object Container Files").</summary>
internal static class RecordingFormat
{
    public static ReadOnlySpan<byte> Magic => "Obj\u0001"u8;
    public const int SyncBytes = 16;
    public const string SchemaKey = "avro.schema";
    public const string CodecKey = "avro.codec";
    public const string NullCodec = "null";
    public const string DeflateCodec = "deflate";
}
