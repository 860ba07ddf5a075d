namespace WorkloadProfiles.Domain.Signals;

/// <summary>
/// The value of the compacted <c>wp.suppressions</c> topic (key = <see cref="Id"/>): a rule stops firing for one behaviour
/// of one image. Removing a suppression publishes it again with <see cref="Removed"/> set (who/when kept), not a bare tombstone.
/// </summary>
public sealed record Suppression
{
    public required string Id { get; init; }
    public required string RuleId { get; init; }
    public required string ImageName { get; init; }
    public required ulong NodeId { get; init; }
    public required string Expression { get; init; }
    public string Description { get; init; } = "";
    public string CreatedBy { get; init; } = "";
    public long CreatedAtUs { get; init; }
    public bool Removed { get; init; }
    public string? RemovedBy { get; init; }
    public long? RemovedAtUs { get; init; }
    /// <summary>The signal whose suggestion was accepted, if any.</summary>
    public string? FromSignalId { get; init; }
    /// <summary>The argument signature of each process of the ancestry, root first: only signals whose ancestry ran with
    /// exactly these arguments are suppressed. Empty for suppressions written before signatures existed (node only).</summary>
    public IReadOnlyList<string> Signatures { get; init; } = [];

    /// <summary>Deterministic id: accepting the same suggestion twice yields one suppression; the same node with other
    /// arguments is another suppression.</summary>
    public static string MakeId(string ruleId, string imageName, ulong nodeId, IReadOnlyList<string>? signatures = null) =>
        signatures is not { Count: > 0 }
            ? $"{ruleId}|{imageName}|{nodeId:x16}"
            : $"{ruleId}|{imageName}|{nodeId:x16}|{Identity.NodeIdentity.Format(Identity.NodeIdentity.Compute(0, Identity.NodeKind.Process, string.Join('\n', signatures)))}";

    /// <summary>Whether this suppression covers a behaviour of its node whose ancestry ran with <paramref name="signatures"/>.</summary>
    public bool CoversSignatures(IReadOnlyList<string> signatures) =>
        Signatures.Count == 0 || Signatures.SequenceEqual(signatures, StringComparer.Ordinal);
}
