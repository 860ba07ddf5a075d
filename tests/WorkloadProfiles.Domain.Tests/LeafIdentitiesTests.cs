using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Snapshots;
using static WorkloadProfiles.Domain.Tests.Events;

namespace WorkloadProfiles.Domain.Tests;

/// <summary>The leaf identities a task's snapshot builders share give exactly what each builder computed for itself.</summary>
public class LeafIdentitiesTests
{
    private const int MaxKeyLength = 40;

    /// <summary>Paths with what the normalizer rewrites (pids, hex, uuids, digit runs, dots, slashes), some past the key cap.</summary>
    private static Gen<string> Paths()
    {
        var piece = Gen.OneOf(
            Gen.Elements("proc", "self", "etc", "srv", "app.log", ".", "..", "", "*", @"\xff", "python3.11", "日本", "a-very-long-directory-name"),
            Gen.Choose(0, 99_999_999).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Elements("deadbeef", "0a1b2c3d4e5f", "123e4567-e89b-12d3-a456-426614174000", "cafe"));
        return from pieces in Gen.ListOf(piece)
               from start in Gen.Elements("/", "", "//")
               from separator in Gen.Elements("/", "-", ".")
               select start + string.Join(separator, pieces);
    }

    private static readonly Gen<ulong> Parents = Gen.Elements(NodeIdentity.Root, 1UL, 0x9e37_79b9_7f4a_7c15UL);

    private static LeafIdentity Uncached(ulong parent, NodeKind kind, string key)
    {
        var truncated = key.Length > MaxKeyLength;
        var capped = NodeIdentity.TruncateKey(key, MaxKeyLength);
        return new LeafIdentity(NodeIdentity.Compute(parent, kind, capped), capped, truncated);
    }

    [Property(MaxTest = 1_000)]
    public Property A_cached_file_leaf_equals_the_uncached_normalization_and_id() =>
        Prop.ForAll(Gen.ListOf(Gen.Zip(Parents, Paths())).ToArbitrary(), lookups =>
        {
            // A small capacity makes the cache start over mid-run too.
            var leaves = new LeafIdentities(MaxKeyLength, capacity: 4);
            // Again, and as copies: the cache answers by value, whichever instance a path comes in.
            return lookups.Concat(lookups).Concat(lookups.Select(l => (l.Item1, new string(l.Item2.AsSpan())))).All(l =>
                leaves.File(l.Item1, l.Item2) == Uncached(l.Item1, NodeKind.File, NodeIdentity.FileKey(l.Item2)));
        });

    [Property(MaxTest = 500)]
    public Property Cached_dns_and_network_leaves_equal_the_uncached_keys_and_ids() =>
        Prop.ForAll(
            Gen.ListOf(
                from parent in Parents
                from name in Gen.Elements("api.internal", "Example.COM.", " x.y ", "", "ÉCOLE.fr", "a-very-long-host-name.example.internal.")
                from transport in Gen.Elements(NetworkTransport.Unknown, NetworkTransport.Tcp, NetworkTransport.Udp, (NetworkTransport)3, (NetworkTransport)5)
                from port in Gen.Elements(0, 53, 443, 65_535)
                from address in Gen.Elements<string?>(null, "", "127.0.0.1", "10.1.2.3", "203.0.113.4", "::1", "not an address")
                select (parent, name, transport, port, address)).ToArbitrary(),
            lookups =>
            {
                var leaves = new LeafIdentities(MaxKeyLength, capacity: 8);
                return lookups.Concat(lookups).All(l =>
                    leaves.Dns(l.parent, l.name) == Uncached(l.parent, NodeKind.Dns, NodeIdentity.DnsKey(l.name))
                    && leaves.Network(l.parent, l.transport, l.port, l.address)
                        == Uncached(l.parent, NodeKind.Network, NodeIdentity.NetworkKey(l.transport, l.port, l.address)));
            });

    /// <summary>A container's activity: lineage, opens, DNS and connects over a few pids.</summary>
    private static Gen<RawEventList> Activities()
    {
        var program = Gen.Elements("/bin/sh", "/usr/bin/python3", "/app/server");
        var evt = Gen.OneOf(
            from pid in Gen.Choose(1, 4) from ppid in Gen.Choose(0, 4) from p in program select ExecChild(0, pid, ppid, p, p, "-c", "x"),
            from pid in Gen.Choose(1, 4) from child in Gen.Choose(2, 6) select Fork(0, pid, child),
            from pid in Gen.Choose(1, 6) from p in Paths() from flags in Gen.Elements(0, 0x41) select Open(0, pid, p == "" ? "/" : p, flags),
            from pid in Gen.Choose(1, 6) from name in Gen.Elements("api.internal", "Example.COM.") select Dns(0, pid, name),
            from pid in Gen.Choose(1, 6) from address in Gen.Elements("10.1.2.3", "::1") from port in Gen.Elements(53, 443) select Connect(0, pid, address, port));
        return Gen.ListOf(evt).Select(events => new RawEventList([.. events.Select((e, i) => e with { TimestampUs = 1_000 + i })]));
    }

    [Property(MaxTest = 300)]
    public Property Builders_sharing_leaf_identities_build_what_each_builds_alone() =>
        Prop.ForAll(Gen.Zip(Activities(), Activities()).ToArbitrary(), t =>
        {
            var (first, second) = t;
            var limits = new SnapshotLimits { MaxKeyLength = MaxKeyLength, SiblingCollapseThreshold = 4 };
            var container = new ContainerRef("c1", "nginx", "1.27");
            var other = new ContainerRef("c2", "nginx", "1.27");
            var alone = new SnapshotBuilder(container, "h", 0, 1_000_000, limits);
            var shared = new LeafIdentities(MaxKeyLength, capacity: 16);
            var withShared = new SnapshotBuilder(container, "h", 0, 1_000_000, limits, leaves: shared);
            var neighbour = new SnapshotBuilder(other, "h", 0, 1_000_000, limits, leaves: shared);

            // The neighbour's events interleave with the container's, as batches of two containers do in one task.
            for (var i = 0; i < Math.Max(first.Items.Count, second.Items.Count); i++)
            {
                if (i < second.Items.Count) neighbour.Add(second.Items[i]);
                if (i < first.Items.Count)
                {
                    alone.Add(first.Items[i]);
                    withShared.Add(first.Items[i]);
                }
            }

            return JsonSerializer.Serialize(withShared.Build()) == JsonSerializer.Serialize(alone.Build());
        });

    [Fact]
    public void A_builder_refuses_shared_identities_with_another_key_cap()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new SnapshotBuilder(new ContainerRef("c1", "nginx", "1.27"), "h", 0, 1, SnapshotLimits.Default, leaves: new LeafIdentities(64)));
        Assert.Contains("64", error.Message);
    }
}
