namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// A record on its way out of a processor: the destination topic and the already-encoded value. Processors encode
/// with the contract codecs themselves, so one dynamic-topic sink serves a job's results and its dead letters alike.
/// </summary>
/// <param name="Topic">Destination topic.</param>
/// <param name="Value">Encoded value; null publishes a tombstone.</param>
public sealed record Outgoing(string Topic, byte[]? Value);
