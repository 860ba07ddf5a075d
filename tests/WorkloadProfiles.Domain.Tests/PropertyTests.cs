using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WorkloadProfiles.Domain.Normalization;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;
using static WorkloadProfiles.Domain.Tests.Snapshots;

namespace WorkloadProfiles.Domain.Tests;

/// <summary>The properties issue 2 requires, plus the pooled-overlap identity behind profile commonality.</summary>
public class PropertyTests
{
    private static readonly string[] Universe = ["a", "b", "c", "d", "e", "f", "g", "h"];

    /// <summary>Paths built from the pieces the rules care about (pids, hex, uuids, digit runs, escapes, dots, slashes, stars).</summary>
    private static Arbitrary<string> Paths()
    {
        var piece = Gen.OneOf(
            Gen.Elements("proc", "self", "etc", "var", "log", "app.log", ".", "..", "", "*", "**", @"\xff", "x86_64", "python3.11", "-", "_"),
            Gen.Choose(0, 99_999_999).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Elements("deadbeef", "DEADBEEF1", "0a1b2c3d4e5f", "123e4567-e89b-12d3-a456-426614174000", "cafe", "facade00"),
            Gen.ArrayOf(Gen.Elements("a1F-_.*/\\x09".ToCharArray())).Select(cs => new string(cs)));
        var path =
            from pieces in Gen.ListOf(piece)
            from start in Gen.Elements("/", "", "//")
            from separator in Gen.Elements("/", "-", ".", "")
            select start + string.Join(separator, pieces);
        return path.ToArbitrary();
    }

    /// <summary>1–12 snapshots with distinct ids over a small node universe, 1–4 containers, 1–3 hosts.</summary>
    private static Gen<ActivitySnapshot[]> SnapshotSets() =>
        Gen.ListOf(
                from files in Gen.SubListOf(Universe)
                from container in Gen.Choose(0, 3)
                from host in Gen.Choose(0, 2)
                select (files, container, host))
            .Where(l => l.Count is > 0 and <= 12)
            .Select(l => l.Select((s, i) => Of($"s{i}", $"c{s.container}", $"h{s.host}", Nginx, [.. s.files])).ToArray());

    private static ProfileAggregate MergeAll(IEnumerable<ActivitySnapshot> snapshots)
    {
        var profile = new ProfileAggregate(Nginx);
        foreach (var s in snapshots) profile.Merge(s, 1_000);
        return profile;
    }

    [Property(MaxTest = 3_000)]
    public Property Normalization_is_idempotent() =>
        Prop.ForAll(Paths(), p =>
        {
            var once = PathNormalizer.Normalize(p);
            return PathNormalizer.Normalize(once) == once;
        });

    [Property(MaxTest = 1_000)]
    public Property Normalized_path_never_keeps_a_long_digit_run() =>
        Prop.ForAll(Paths(), p => !System.Text.RegularExpressions.Regex.IsMatch(PathNormalizer.Normalize(p), "[0-9]{4}"));

    [Property]
    public Property Merge_order_does_not_change_the_profile() =>
        Prop.ForAll(SnapshotSets().SelectMany(set => Gen.Shuffle(set).Select(shuffled => (set, shuffled))).ToArbitrary(), t =>
            Canonical(MergeAll(t.set).ToProfile()) == Canonical(MergeAll(t.shuffled).ToProfile()));

    [Property]
    public Property Commonality_values_stay_within_0_and_1() =>
        Prop.ForAll(SnapshotSets().ToArbitrary(), set =>
        {
            var profile = MergeAll(set).ToProfile();
            return profile.Commonality is >= 0 and <= 1
                && profile.Nodes.All(n => n.Commonality is > 0 and <= 1 && n.ContainerCommonality is > 0 and <= 1);
        });

    [Property]
    public Property Identical_snapshots_give_profile_commonality_1() =>
        Prop.ForAll(Gen.NonEmptyListOf(Gen.Elements(Universe)).Zip(Gen.Choose(1, 30)).ToArbitrary(), t =>
        {
            var (nodes, count) = t;
            var files = nodes.Distinct().ToArray();
            var profile = MergeAll(Enumerable.Range(0, count).Select(i => Of($"s{i}", $"c{i % 3}", files)));
            return profile.Commonality == 1.0;
        });

    [Property]
    public Property Profile_commonality_is_the_pooled_overlap_of_all_snapshot_pairs() =>
        Prop.ForAll(SnapshotSets().Where(s => s.Length >= 2 && s.Any(x => x.Nodes.Count > 0)).ToArbitrary(), set =>
        {
            // Σ over pairs of 2|A∩B| divided by Σ over pairs of (|A|+|B|): the definition the incremental sums must equal.
            double overlap = 0, sizes = 0;
            for (var i = 0; i < set.Length; i++)
            for (var j = i + 1; j < set.Length; j++)
            {
                var a = set[i].Nodes.Select(n => n.Id).ToHashSet();
                var b = set[j].Nodes.Select(n => n.Id).ToHashSet();
                overlap += 2 * a.Intersect(b).Count();
                sizes += a.Count + b.Count;
            }
            return Math.Abs(MergeAll(set).Commonality - overlap / sizes) < 1e-12;
        });

    [Property]
    public Property Restoring_from_the_published_form_round_trips() =>
        Prop.ForAll(SnapshotSets().ToArbitrary(), set =>
        {
            var published = MergeAll(set).ToProfile();
            return Canonical(ProfileAggregate.FromProfile(published).ToProfile()) == Canonical(published);
        });

    /// <summary>Exec/fork/exit sequences over a few pids and programs, as a container's lineage events arrive.</summary>
    private static Gen<Events.RawEventList> LineageEvents() =>
        Gen.ListOf(
            from kind in Gen.Choose(0, 2)
            from pid in Gen.Choose(1, 6)
            from other in Gen.Choose(1, 6)
            from program in Gen.Elements("/usr/sbin/nginx", "/bin/sh", "/usr/bin/python3", "/usr/bin/curl")
            from argument in Gen.Elements("a", "b", "-c")
            select kind switch
            {
                0 => Events.ExecChild(0, pid, other, program) with { Args = [program, argument], ProcessStartUs = pid * 10 + other, WorkingDirectory = argument == "a" ? null : "/" + argument },
                1 => Events.Fork(0, pid, other),
                _ => Events.Exit(0, pid),
            }).Select(list => new Events.RawEventList([.. list]));

    [Property]
    public Property A_process_table_restored_mid_stream_ends_equal_to_one_that_never_stopped() =>
        Prop.ForAll(LineageEvents().SelectMany(events => Gen.Choose(0, events.Items.Count).Select(cut => (events.Items, cut))).ToArbitrary(), t =>
        {
            var whole = new ProcessTable();
            foreach (var e in t.Items) whole.Apply(e);

            var first = new ProcessTable();
            foreach (var e in t.Items.Take(t.cut)) first.Apply(e);
            var restored = ProcessTable.Restore(first.Export());
            foreach (var e in t.Items.Skip(t.cut)) restored.Apply(e);

            return CanonicalTable(whole.Export()) == CanonicalTable(restored.Export())
                && Enumerable.Range(1, 6).All(pid => whole.NodeOf(pid, "x") == restored.NodeOf(pid, "x"));
        });

    [Property]
    public Property Every_image_carries_the_signature_of_its_own_arguments() =>
        Prop.ForAll(LineageEvents().ToArbitrary(), events =>
        {
            // Images take over a re-exec'd predecessor's signature: each must still be its own arguments' signature.
            var table = new ProcessTable();
            foreach (var e in events.Items)
            {
                table.Apply(e);
                foreach (var pid in Enumerable.Range(1, 6))
                {
                    var image = table.ImageOf(pid, "x");
                    if (image.Signature != Identity.ArgumentSignature.Of(image.Process.ExecutablePath, image.Process.Args)) return false;
                }
            }
            return true;
        });

    // Indices of images are an export detail: compare each pid's node and its whole chain of images instead.
    private static string CanonicalTable(ProcessTableState state)
    {
        string Chain(int index)
        {
            var parts = new List<string>();
            for (var i = index; i >= 0; i = state.Images[i].Parent)
            {
                var image = state.Images[i];
                parts.Add($"{image.NodeId:x16}:{image.ExecutablePath}:{string.Join(' ', image.Args)}:{image.Pid}:{image.StartUs}:{image.WorkingDirectory}");
            }
            return string.Join("<", parts);
        }
        return string.Join(";", state.Pids.OrderBy(p => p.Value).Select(p => $"{p.Value}>{Chain(p.Image)}")) + "|" +
            string.Join(";", state.Nodes.OrderBy(n => n.Id).Select(n => $"{n.Id:x16}<{n.ParentId:x16}:{n.Key}")) +
            "|" + state.TruncatedKeys;
    }
}
