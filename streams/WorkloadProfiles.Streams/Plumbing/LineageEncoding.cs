using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>A container's process lineage (<see cref="ProcessTableState"/>) in the jobs' state stores: compact, versioned by its record.</summary>
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
            writer.Write(node.Process.ExecutablePath);
            writer.Write(node.Process.Args.Count);
            foreach (var arg in node.Process.Args)
            {
                writer.Write(arg);
            }
        }

        writer.Write(lineage.Pids.Count);
        foreach (var pid in lineage.Pids)
        {
            writer.Write(pid.Value);
            writer.Write(pid.NodeId);
        }
    }

    public static ProcessTableState Read(BinaryReader reader)
    {
        var truncatedKeys = reader.ReadInt64();
        var nodes = new ProcessTableState.Node[reader.ReadInt32()];
        for (var i = 0; i < nodes.Length; i++)
        {
            var nodeId = reader.ReadUInt64();
            var parentId = reader.ReadUInt64();
            var key = reader.ReadString();
            var executable = reader.ReadString();
            var args = new string[reader.ReadInt32()];
            for (var a = 0; a < args.Length; a++)
            {
                args[a] = reader.ReadString();
            }

            nodes[i] = new ProcessTableState.Node(nodeId, parentId, key, new ProcessRef(executable, args));
        }

        var pids = new ProcessTableState.Pid[reader.ReadInt32()];
        for (var i = 0; i < pids.Length; i++)
        {
            pids[i] = new ProcessTableState.Pid(reader.ReadInt32(), reader.ReadUInt64());
        }

        return new ProcessTableState(pids, nodes, truncatedKeys);
    }
}
