using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// A container's process lineage (<see cref="ProcessTableState"/>) in the jobs' state stores: nodes, each live pid's own
/// image chained to the image it came from, and the pids. Versioned by the record that embeds it.
/// </summary>
internal static class LineageEncoding
{
    public static void Write(BinaryWriter writer, ProcessTableState lineage)
    {
        writer.Write(lineage.TruncatedKeys);
        writer.Write(lineage.Nodes.Count);
        foreach (var node in lineage.Nodes)
        {
            writer.Write(node.Id);
            writer.Write(node.ParentId);
            writer.Write(node.Key);
        }

        writer.Write(lineage.Images.Count);
        foreach (var image in lineage.Images)
        {
            writer.Write(image.NodeId);
            writer.Write(image.Parent);
            writer.Write(image.ExecutablePath);
            writer.Write(image.Args.Count);
            foreach (var arg in image.Args)
            {
                writer.Write(arg);
            }

            writer.Write(image.Pid);
            writer.Write(image.StartUs);
            writer.Write(image.WorkingDirectory is not null);
            writer.Write(image.WorkingDirectory ?? "");
        }

        writer.Write(lineage.Pids.Count);
        foreach (var pid in lineage.Pids)
        {
            writer.Write(pid.Value);
            writer.Write(pid.Image);
        }
    }

    public static ProcessTableState Read(BinaryReader reader)
    {
        var truncatedKeys = reader.ReadInt64();
        var nodes = new ProcessTableState.Node[reader.ReadInt32()];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = new ProcessTableState.Node(reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadString());
        }

        var images = new ProcessTableState.Image[reader.ReadInt32()];
        for (var i = 0; i < images.Length; i++)
        {
            var nodeId = reader.ReadUInt64();
            var parent = reader.ReadInt32();
            var executable = reader.ReadString();
            var args = ReadArgs(reader);
            var pid = reader.ReadInt32();
            var start = reader.ReadInt64();
            var hasCwd = reader.ReadBoolean();
            var cwd = reader.ReadString();
            images[i] = new ProcessTableState.Image(nodeId, parent, executable, args, pid, start, hasCwd ? cwd : null);
        }

        var pids = new ProcessTableState.Pid[reader.ReadInt32()];
        for (var i = 0; i < pids.Length; i++)
        {
            pids[i] = new ProcessTableState.Pid(reader.ReadInt32(), reader.ReadInt32());
        }

        return new ProcessTableState(pids, nodes, images, truncatedKeys);
    }

    /// <summary>
    /// The lineage as releases before process images stored it (one representative process per node, pids mapped to
    /// nodes): each node's representative becomes the image of the pids on it, chained along the node's parents, so an
    /// upgraded job keeps its containers' trees (a signal's ancestry then shows the representatives until the processes
    /// exec again).
    /// </summary>
    public static ProcessTableState ReadBeforeImages(BinaryReader reader)
    {
        var truncatedKeys = reader.ReadInt64();
        var count = reader.ReadInt32();
        var nodes = new ProcessTableState.Node[count];
        var representatives = new Dictionary<ulong, (string Executable, string[] Args)>(count);
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadUInt64();
            var parentId = reader.ReadUInt64();
            var key = reader.ReadString();
            nodes[i] = new ProcessTableState.Node(id, parentId, key);
            representatives[id] = (reader.ReadString(), ReadArgs(reader));
        }

        var parents = nodes.ToDictionary(n => n.Id, n => n.ParentId);
        var images = new List<ProcessTableState.Image>();
        var imageOf = new Dictionary<ulong, int>();
        int ImageOf(ulong nodeId)
        {
            if (imageOf.TryGetValue(nodeId, out var index)) return index;
            // Ancestors first, iteratively; a missing or cyclic parent ends the chain.
            var chain = new List<ulong>();
            var seen = new HashSet<ulong>();
            for (var id = nodeId; id != 0 && representatives.ContainsKey(id) && !imageOf.ContainsKey(id) && seen.Add(id);
                 id = parents.GetValueOrDefault(id))
            {
                chain.Add(id);
            }

            for (var i = chain.Count - 1; i >= 0; i--)
            {
                var id = chain[i];
                var parent = imageOf.TryGetValue(parents.GetValueOrDefault(id), out var p) ? p : -1;
                var (executable, args) = representatives[id];
                imageOf[id] = images.Count;
                images.Add(new ProcessTableState.Image(id, parent, executable, args, 0, 0, null));
            }

            return imageOf[nodeId];
        }

        var pids = new List<ProcessTableState.Pid>();
        var pidCount = reader.ReadInt32();
        for (var i = 0; i < pidCount; i++)
        {
            var pid = reader.ReadInt32();
            var nodeId = reader.ReadUInt64();
            if (representatives.ContainsKey(nodeId))
            {
                pids.Add(new ProcessTableState.Pid(pid, ImageOf(nodeId)));
            }
        }

        return new ProcessTableState(pids, nodes, images, truncatedKeys);
    }

    static string[] ReadArgs(BinaryReader reader)
    {
        var args = new string[reader.ReadInt32()];
        for (var a = 0; a < args.Length; a++)
        {
            args[a] = reader.ReadString();
        }

        return args;
    }
}
