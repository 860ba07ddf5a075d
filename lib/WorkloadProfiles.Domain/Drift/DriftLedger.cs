namespace WorkloadProfiles.Domain.Drift;

/// <summary>What <see cref="DriftLedger.Admit"/> decided for one finding.</summary>
public enum DriftAdmission
{
    /// <summary>First time in this window: raise the drift signal.</summary>
    Report,
    /// <summary>Already reported for this container in this window.</summary>
    Duplicate,
    /// <summary>The container just reached its cap: raise one overflow signal instead.</summary>
    Overflow,
    /// <summary>Over the cap and the overflow already raised: count it only.</summary>
    OverCap,
}

/// <summary>
/// The noise control of one container's drift: at most one signal per drift (node, or node and signature) per window and
/// at most <see cref="DriftPolicy.MaxSignalsPerWindow"/> per window, then one overflow signal. Its state is small (the
/// reported keys of the current window) so a stream job persists it and a restart neither repeats nor loses a signal.
/// </summary>
public sealed class DriftLedger
{
    private readonly HashSet<ulong> _reported = [];

    public long WindowStartUs { get; private set; } = long.MinValue;
    public bool OverflowReported { get; private set; }
    public IReadOnlyCollection<ulong> Reported => _reported;

    /// <summary>Findings dropped over the cap in this window (not persisted: the overflow signal says counting began).</summary>
    public long OverCap { get; private set; }

    public static DriftLedger Restore(long windowStartUs, IEnumerable<ulong> reported, bool overflowReported)
    {
        ArgumentNullException.ThrowIfNull(reported);
        var ledger = new DriftLedger { WindowStartUs = windowStartUs, OverflowReported = overflowReported };
        foreach (var key in reported) ledger._reported.Add(key);
        return ledger;
    }

    /// <param name="windowStartUs">The window the finding's event falls in; a later window starts a fresh ledger, an earlier
    /// one (a late event) counts against the current window.</param>
    public DriftAdmission Admit(ulong dedupKey, long windowStartUs, int maxPerWindow)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPerWindow);
        if (windowStartUs > WindowStartUs)
        {
            WindowStartUs = windowStartUs;
            _reported.Clear();
            OverflowReported = false;
            OverCap = 0;
        }
        if (_reported.Contains(dedupKey)) return DriftAdmission.Duplicate;
        if (_reported.Count < maxPerWindow)
        {
            _reported.Add(dedupKey);
            return DriftAdmission.Report;
        }
        OverCap++;
        if (OverflowReported) return DriftAdmission.OverCap;
        OverflowReported = true;
        return DriftAdmission.Overflow;
    }
}
