namespace WorkloadProfiles.Domain.Normalization;

/// <summary>
/// Collapses many siblings of one shape under a directory into a pattern (DESIGN "Path normalization", last rule).
/// The rule: among the distinct normalized file paths seen under one process node, paths are grouped by
/// (directory, extension) — the extension being the file name from its last <c>.</c> on, when that dot is not the name's
/// first character (<c>.bashrc</c> has none). A group with more than <see cref="Threshold"/> distinct names collapses:
/// every member becomes <c>directory/*extension</c>, e.g. 40 files <c>/var/cache/app/&lt;random&gt;.json</c> become
/// <c>/var/cache/app/*.json</c>. Only the last segment collapses. The result depends only on the set of paths, never on
/// their order, and a pattern is itself a normal path, so collapsing twice changes nothing more.
/// </summary>
public sealed class SiblingCollapse
{
    public SiblingCollapse(int threshold = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threshold);
        Threshold = threshold;
    }

    /// <summary>A directory collapses a shape once it has more than this many distinct names of it.</summary>
    public int Threshold { get; }

    /// <summary>The pattern <paramref name="normalizedPath"/> collapses into: its directory, <c>/*</c>, its extension.</summary>
    public static string PatternFor(string normalizedPath)
    {
        var (directoryEnd, extensionStart) = Shape(normalizedPath);
        var directory = normalizedPath.AsSpan(0, directoryEnd);
        var extension = extensionStart < 0 ? [] : normalizedPath.AsSpan(extensionStart);
        return directory.IsEmpty ? string.Concat("*", extension)
            : directory is "/" ? string.Concat("/*", extension)
            : string.Concat(directory, "/*", extension);
    }

    /// <summary>
    /// Maps each path of <paramref name="normalizedPaths"/> (the distinct file paths under one process node) that collapses to
    /// its pattern; paths that stay as they are do not appear in the result.
    /// </summary>
    public Dictionary<string, string> Collapse(IEnumerable<string> normalizedPaths)
    {
        var groups = new Dictionary<(string Directory, string Extension), HashSet<string>>();
        foreach (var path in normalizedPaths)
        {
            var (directoryEnd, extensionStart) = Shape(path);
            var shape = (path[..directoryEnd], extensionStart < 0 ? "" : path[extensionStart..]);
            if (!groups.TryGetValue(shape, out var members)) groups[shape] = members = new HashSet<string>(StringComparer.Ordinal);
            members.Add(path);
        }

        var collapsed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var members in groups.Values)
        {
            if (members.Count <= Threshold) continue;
            foreach (var path in members) collapsed[path] = PatternFor(path);
        }
        return collapsed;
    }

    // (length of the directory part without the final '/', except "/" for the root; start of the extension or -1).
    private static (int DirectoryEnd, int ExtensionStart) Shape(string path)
    {
        var slash = path.LastIndexOf('/');
        var directoryEnd = slash < 0 ? 0 : slash == 0 ? 1 : slash;
        var nameStart = slash + 1;
        var dot = path.LastIndexOf('.');
        var extensionStart = dot > nameStart ? dot : -1;
        return (directoryEnd, extensionStart);
    }
}
