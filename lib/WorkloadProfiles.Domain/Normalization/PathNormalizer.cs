using System.Buffers;

namespace WorkloadProfiles.Domain.Normalization;

/// <summary>
/// Reduces a path so random names do not explode the tree (DESIGN "Path normalization"). Pure, deterministic and
/// idempotent (<c>Normalize(Normalize(p)) == Normalize(p)</c>). The rules, applied segment by segment:
/// <list type="number">
/// <item>Empty and <c>.</c> segments go (<c>//</c> and <c>/./</c> collapse, a trailing <c>/</c> is dropped); <c>..</c> is kept
/// because resolving it without the file system would be unsound.</item>
/// <item>Under <c>/proc</c>, every all-digit segment (pid, tid, fd number, irq) becomes <c>*</c>:
/// <c>/proc/1234/task/1240/status</c> → <c>/proc/*/task/*/status</c>. <c>self</c> and <c>thread-self</c> stay.</item>
/// <item>Inside any segment, with a token being a maximal run of ASCII letters and digits:
/// a UUID (<c>8-4-4-4-12</c> hex) → <c>*</c>; a token of only hex digits that is at least 8 long and holds a digit
/// (container ids, hashes, 32-hex UUIDs) → <c>*</c>, and so is any all-hex token of 32 or more; otherwise each run of
/// <see cref="MinDigitRun"/> or more decimal digits → <c>*</c> (<c>app-20240101.log</c> → <c>app-*.log</c>). Adjacent <c>*</c>s merge.</item>
/// </list>
/// Bytes the kernel gave as non-UTF-8 arrive as <c>\xNN</c> escapes and are treated as ordinary text. A path that is already
/// normal is returned as the same instance (no allocation). Sibling-pattern collapse needs the set of siblings and lives in
/// <see cref="SiblingCollapse"/>.
/// </summary>
public static class PathNormalizer
{
    /// <summary>Shortest run of decimal digits inside a segment that is replaced (shorter runs such as <c>python3.11</c> or
    /// <c>libssl.so.3</c> carry meaning; four and more are almost always ids, timestamps or counters).</summary>
    public const int MinDigitRun = 4;

    /// <summary>Shortest all-hex token (that holds a digit) that is replaced.</summary>
    public const int MinHexRun = 8;

    public const char Wildcard = '*';

    public static string Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) return path;

        // Normal output is never longer than the input.
        char[]? rented = null;
        var buffer = path.Length <= 512 ? stackalloc char[path.Length] : (rented = ArrayPool<char>.Shared.Rent(path.Length));
        try
        {
            var length = Write(path, buffer);
            var normal = buffer[..length];
            return normal.SequenceEqual(path) ? path : new string(normal);
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The segment rules alone (UUIDs, random hex, long digit runs → <c>*</c>) applied to any token, e.g. a command-line
    /// argument: <c>job-20240101</c> → <c>job-*</c>. Idempotent; a token already normal is returned as the same instance.
    /// </summary>
    public static string NormalizeToken(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length == 0) return token;
        char[]? rented = null;
        var buffer = token.Length <= 512 ? stackalloc char[token.Length] : (rented = ArrayPool<char>.Shared.Rent(token.Length));
        try
        {
            var length = WriteStableSegment(token, buffer);
            var normal = buffer[..length];
            return normal.SequenceEqual(token) ? token : new string(normal);
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static int Write(ReadOnlySpan<char> path, Span<char> output)
    {
        var written = 0;
        var absolute = path[0] == '/';
        if (absolute) output[written++] = '/';
        var segmentIndex = 0;
        var underProc = false;
        var rest = path;
        while (!rest.IsEmpty)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            rest = slash < 0 ? [] : rest[(slash + 1)..];
            if (segment.IsEmpty || segment is ".") continue;

            if (segmentIndex > 0) output[written++] = '/';
            if (absolute && segmentIndex == 0 && segment is "proc") underProc = true;

            if (underProc && segmentIndex > 0 && IsAllDigits(segment)) output[written++] = Wildcard;
            else written += WriteStableSegment(segment, output[written..]);
            segmentIndex++;
        }
        // "/" alone, or a path of only slashes and dots.
        if (written == 0 && !path.IsEmpty) output[written++] = path[0] == '/' ? '/' : '.';
        return written;
    }

    /// <summary>
    /// Applies the segment rules until nothing changes, so Normalize is idempotent by construction: replacing a digit run can
    /// expose a hex token or a UUID (<c>g12345deadbeef-…</c>). Every change shortens the segment, so this terminates, and
    /// almost every segment needs one pass.
    /// </summary>
    private static int WriteStableSegment(ReadOnlySpan<char> segment, Span<char> output)
    {
        var written = WriteSegment(segment, output);
        if (output[..written].SequenceEqual(segment)) return written;
        var scratch = ArrayPool<char>.Shared.Rent(written);
        try
        {
            while (true)
            {
                output[..written].CopyTo(scratch);
                var previous = scratch.AsSpan(0, written);
                written = WriteSegment(previous, output);
                if (output[..written].SequenceEqual(previous)) return written;
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(scratch);
        }
    }

    private static int WriteSegment(ReadOnlySpan<char> segment, Span<char> output)
    {
        var written = 0;
        var i = 0;
        while (i < segment.Length)
        {
            if (!char.IsAsciiLetterOrDigit(segment[i]))
            {
                written = Append(output, written, segment[i]);
                i++;
                continue;
            }
            if (IsUuidAt(segment, i))
            {
                written = Append(output, written, Wildcard);
                i += 36;
                continue;
            }
            var end = i;
            while (end < segment.Length && char.IsAsciiLetterOrDigit(segment[end])) end++;
            var token = segment[i..end];
            if (IsRandomHex(token)) written = Append(output, written, Wildcard);
            else written = WriteToken(token, output, written);
            i = end;
        }
        return written;
    }

    /// <summary>Copies a token, replacing long digit runs.</summary>
    private static int WriteToken(ReadOnlySpan<char> token, Span<char> output, int written)
    {
        var i = 0;
        while (i < token.Length)
        {
            if (!char.IsAsciiDigit(token[i]))
            {
                output[written++] = token[i++];
                continue;
            }
            var end = i;
            while (end < token.Length && char.IsAsciiDigit(token[end])) end++;
            if (end - i >= MinDigitRun) written = Append(output, written, Wildcard);
            else
            {
                token[i..end].CopyTo(output[written..]);
                written += end - i;
            }
            i = end;
        }
        return written;
    }

    // Appends, merging a wildcard into a preceding one so "**" never appears (keeps Normalize idempotent).
    private static int Append(Span<char> output, int written, char c)
    {
        if (c == Wildcard && written > 0 && output[written - 1] == Wildcard) return written;
        output[written] = c;
        return written + 1;
    }

    private static bool IsRandomHex(ReadOnlySpan<char> token)
    {
        if (token.Length < MinHexRun) return false;
        var hasDigit = false;
        foreach (var c in token)
        {
            if (!char.IsAsciiHexDigit(c)) return false;
            hasDigit |= char.IsAsciiDigit(c);
        }
        return hasDigit || token.Length >= 32;
    }

    private static bool IsUuidAt(ReadOnlySpan<char> s, int start)
    {
        if (s.Length - start < 36) return false;
        if (start + 36 < s.Length && char.IsAsciiLetterOrDigit(s[start + 36])) return false;
        var uuid = s.Slice(start, 36);
        for (var i = 0; i < 36; i++)
        {
            var dash = i is 8 or 13 or 18 or 23;
            if (dash ? uuid[i] != '-' : !char.IsAsciiHexDigit(uuid[i])) return false;
        }
        return true;
    }

    internal static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s)
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
