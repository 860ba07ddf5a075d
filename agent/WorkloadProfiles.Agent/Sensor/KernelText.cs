using System.Buffers;
using System.Text;

namespace WorkloadProfiles.Agent.Sensor;

/// <summary>
/// Kernel strings are bytes, not UTF-8. Valid UTF-8 decodes as usual; each byte of an invalid sequence becomes the
/// four characters <c>\xNN</c>, so a path keeps its identity (and its difference from its neighbours) instead of
/// collapsing to U+FFFD.
/// </summary>
internal static class KernelText
{
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var builder = new StringBuilder(bytes.Length + 16);
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out var consumed);
            if (status == OperationStatus.Done)
            {
                builder.Append(rune.ToString());
            }
            else
            {
                consumed = 1;
                builder.Append("\\x").Append(bytes[0].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            bytes = bytes[consumed..];
        }
        return builder.ToString();
    }
}
