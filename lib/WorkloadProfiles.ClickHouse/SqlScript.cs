using System.Text;

namespace WorkloadProfiles.ClickHouse;

/// <summary>
/// Splits a SQL file into statements. The HTTP interface runs one statement per request, while migration and query
/// files hold several, separated by <c>;</c>. Semicolons inside quotes and comments do not split; comments are dropped.
/// </summary>
public static class SqlScript
{
    public static IReadOnlyList<string> Split(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        var statements = new List<string>();
        var current = new StringBuilder();
        var i = 0;
        while (i < script.Length)
        {
            var c = script[i];
            if (c is '\'' or '"' or '`')
            {
                var end = EndOfQuoted(script, i);
                current.Append(script, i, end - i);
                i = end;
            }
            else if (c == '-' && At(script, i + 1) == '-')
            {
                var end = script.IndexOf('\n', i);
                i = end < 0 ? script.Length : end;
            }
            else if (c == '/' && At(script, i + 1) == '*')
            {
                var end = script.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0) throw new FormatException($"Unterminated /* comment starting at offset {i}.");
                current.Append(' ');
                i = end + 2;
            }
            else if (c == ';')
            {
                Flush(current, statements);
                i++;
            }
            else
            {
                current.Append(c);
                i++;
            }
        }
        Flush(current, statements);
        return statements;
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

    /// <summary>Index just past the closing quote; a backslash escapes the next character, as in ClickHouse.</summary>
    private static int EndOfQuoted(string s, int start)
    {
        var quote = s[start];
        for (var i = start + 1; i < s.Length; i++)
        {
            if (s[i] == '\\') i++;
            else if (s[i] == quote) return i + 1;
        }
        throw new FormatException($"Unterminated {quote}-quoted text starting at offset {start}.");
    }

    private static void Flush(StringBuilder current, List<string> statements)
    {
        var statement = current.ToString().Trim();
        if (statement.Length > 0) statements.Add(statement);
        current.Clear();
    }
}
