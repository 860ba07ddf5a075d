using System.Collections.Concurrent;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Detection;

/// <summary>
/// The live suppressions (the <c>wp.suppressions</c> global table). A signal is suppressed when a suppression has the same
/// rule id, the same image name and the same node — <see cref="NodeIdentity.ForBehaviour"/> of the signal's behaviour equals
/// <see cref="Suppression.NodeId"/> — and its ancestry ran with the suppression's argument signatures: what the profile
/// knew, never anything broader.
/// Writes (from the table's update path) are serialized; lookups are lock-free, so the engine may run on other threads.
/// </summary>
public sealed class SuppressionSet
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Suppression> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Scope, Suppression[]> _byScope = new();
    // (rule, image) pairs with at least one suppression: most candidate signals skip hashing their behaviour.
    private readonly ConcurrentDictionary<(string RuleId, string ImageName), int> _ruleImages = new();

    public SuppressionSet() { }

    public SuppressionSet(IEnumerable<Suppression> suppressions)
    {
        foreach (var s in suppressions) Apply(s);
    }

    /// <summary>Active suppressions.</summary>
    public int Count
    {
        get { lock (_gate) return _byId.Count; }
    }

    /// <summary>Adds or replaces a suppression by id; one with <see cref="Suppression.Removed"/> set deletes it.</summary>
    public void Apply(Suppression suppression)
    {
        if (suppression.Removed)
        {
            Remove(suppression.Id);
            return;
        }
        lock (_gate)
        {
            if (_byId.TryGetValue(suppression.Id, out var previous)) Unindex(previous);
            _byId[suppression.Id] = suppression;
            var scope = Scope.Of(suppression);
            _byScope[scope] = _byScope.TryGetValue(scope, out var existing) ? [.. existing, suppression] : [suppression];
            _ruleImages.AddOrUpdate((suppression.RuleId, suppression.ImageName), 1, (_, n) => n + 1);
        }
    }

    /// <summary>Deletes a suppression by id (a removal record or a tombstone); false when it was not present.</summary>
    public bool Remove(string id)
    {
        lock (_gate)
        {
            if (!_byId.Remove(id, out var previous)) return false;
            Unindex(previous);
            return true;
        }
    }

    /// <summary>The suppression that stops this rule for this behaviour of this image, or null: same node, and the ancestry
    /// ran with the suppression's argument signatures (<see cref="Suppression.CoversSignatures"/>).</summary>
    public Suppression? Match(string ruleId, string? imageName, Behaviour behaviour)
    {
        if (string.IsNullOrEmpty(imageName) || !_ruleImages.ContainsKey((ruleId, imageName))) return null;
        var nodeId = NodeIdentity.ForBehaviour(behaviour);
        if (!_byScope.TryGetValue(new Scope(ruleId, imageName, nodeId), out var candidates)) return null;
        var signatures = NodeIdentity.SignaturesOf(behaviour.Ancestry);
        foreach (var candidate in candidates)
            if (candidate.CoversSignatures(signatures)) return candidate;
        return null;
    }

    public IReadOnlyList<Suppression> ToList()
    {
        lock (_gate) return [.. _byId.Values];
    }

    private void Unindex(Suppression s)
    {
        var scope = Scope.Of(s);
        if (_byScope.TryGetValue(scope, out var existing))
        {
            var rest = Array.FindAll(existing, e => e.Id != s.Id);
            if (rest.Length == 0) _byScope.TryRemove(scope, out _);
            else _byScope[scope] = rest;
        }
        var pair = (s.RuleId, s.ImageName);
        if (_ruleImages.AddOrUpdate(pair, 0, (_, n) => n - 1) <= 0) _ruleImages.TryRemove(pair, out _);
    }

    private readonly record struct Scope(string RuleId, string ImageName, ulong NodeId)
    {
        public static Scope Of(Suppression s) => new(s.RuleId, s.ImageName, s.NodeId);
    }
}
