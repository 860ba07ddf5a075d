using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Contracts.Tests;

/// <summary>
/// The domain's byte bounds are upper bounds of what the real codecs write: a snapshot or profile built under a bound
/// encodes within it, whatever its keys and identities hold (multi-byte text, many containers, deep or wide trees).
/// </summary>
public class EncodedSizeTests
{
    private static readonly IAvroCodec<ActivitySnapshot> Snapshots = AvroCodecs.Default.For<ActivitySnapshot>();
    private static readonly IAvroCodec<SecurityProfile> Profiles = AvroCodecs.Default.For<SecurityProfile>();

    private static readonly Gen<string> Segment = Gen.Frequency(
        (3, Gen.Elements("a", "lib", "données", "日本", "😀😀", "x y", "f.log")),
        (1, Gen.Choose(1, 300).Select(n => new string('é', n))));

    private static readonly Gen<string> Path = Segment.ArrayOf().Select(segments => "/" + string.Join('/', segments));

    [Property(MaxTest = 40)]
    public Property A_snapshot_built_under_a_byte_bound_encodes_within_it() =>
        Prop.ForAll(Path.ArrayOf().ToArbitrary(), Gen.Choose(4_096, 200_000).ToArbitrary(), (paths, maxBytes) =>
        {
            var container = new ContainerRef("c-" + new string('9', 64), "registry.example/team/" + new string('ü', 100), "v1.2.3");
            var builder = new SnapshotBuilder(container, "host-é", 1_000, 2_000, new SnapshotLimits { MaxBytes = maxBytes });
            builder.Add(new RawEvent { Kind = EventKind.Exec, TimestampUs = 1_000, Pid = 1, ExecutablePath = "/bin/sh", Args = ["sh", "-c", "x"] });
            for (var i = 0; i < paths.Length; i++)
            {
                builder.Add(new RawEvent { Kind = EventKind.Open, TimestampUs = 1_000 + i, Pid = 1, FilePath = paths[i], FileFlags = i % 3 });
                // Its argument signature (up to 1 KiB) counts too, on every process node.
                builder.Add(new RawEvent { Kind = EventKind.Exec, TimestampUs = 1_000 + i, Pid = 2 + i, Ppid = 1, ExecutablePath = paths[i],
                    Args = ["run", paths[i], .. paths.Take(i)] });
                builder.Add(new RawEvent { Kind = EventKind.Open, TimestampUs = 1_000 + i, Pid = 2 + i, FilePath = "/tmp/x" });
            }

            var encoded = Snapshots.Serialize(builder.Build(closedByExit: true) with { DroppedEvents = long.MaxValue, InvalidEvents = long.MinValue });
            Assert.True(encoded.Length <= maxBytes, $"{encoded.Length} > {maxBytes}");
        });

    [Property(MaxTest = 25)]
    public Property A_profile_merged_under_a_byte_bound_encodes_within_it() =>
        Prop.ForAll(Path.ArrayOf().ArrayOf().ToArbitrary(), Gen.Choose(8_192, 300_000).ToArbitrary(), (snapshots, maxBytes) =>
        {
            var key = new ProfileKey("registry.example/" + new string('ß', 50), "1.0");
            var aggregate = new ProfileAggregate(key, new ProfilePolicy { MaxBytes = maxBytes, StableSnapshotCount = 10_000 });
            var process = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/bin/sh -c *");
            for (var s = 0; s < snapshots.Length; s++)
            {
                var nodes = snapshots[s].Distinct().Select(p => new SnapshotNode
                {
                    Id = NodeIdentity.Compute(process, NodeKind.File, p), ParentId = process, Kind = NodeKind.File, Key = p,
                    EventCount = long.MaxValue, FirstSeenUs = long.MinValue, LastSeenUs = long.MaxValue, Access = FileAccessMode.Read | FileAccessMode.Write,
                }).Append(new SnapshotNode
                {
                    Id = process, ParentId = NodeIdentity.Root, Kind = NodeKind.Process, Key = "/bin/sh -c *",
                    // Argument signatures are part of the profile's bytes: each path stands for one.
                    Signatures = [.. snapshots[s].Distinct().Order(StringComparer.Ordinal)],
                });
                aggregate.Merge(new ActivitySnapshot
                {
                    SnapshotId = $"c-{s % 37}-{new string('7', 64)}:{s}",
                    Container = new ContainerRef($"c-{s % 37}-{new string('7', 64)}", key.ImageName, key.ImageTag),
                    HostName = $"host-{s % 5}-ĥ",
                    WindowStartUs = s,
                    WindowEndUs = s + 1,
                    Nodes = [.. nodes.DistinctBy(n => n.Id).OrderBy(n => n.Id)],
                }, long.MaxValue - 1);
            }

            var encoded = Profiles.Serialize(aggregate.ToProfile());
            Assert.True(encoded.Length <= aggregate.EstimatedBytes, $"{encoded.Length} > estimate {aggregate.EstimatedBytes}");
            Assert.True(encoded.Length <= maxBytes, $"{encoded.Length} > {maxBytes}");
        });
}
