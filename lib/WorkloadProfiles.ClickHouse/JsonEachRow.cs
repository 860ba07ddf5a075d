using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using ClickHouse.Driver;

namespace WorkloadProfiles.ClickHouse;

/// <summary>Streams a <c>FORMAT JSONEachRow</c> response: one JSON object per line, deserialized as it arrives.</summary>
internal static class JsonEachRow
{
    public static JsonSerializerOptions CreateSerializerOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            PropertyNameCaseInsensitive = true,
            // output_format_json_quote_64bit_integers is on by default: (U)Int64 arrive as strings.
            NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new ClickHouseDateTimeConverter());
        options.Converters.Add(new ClickHouseDateTimeOffsetConverter());
        return options;
    }

    public static async IAsyncEnumerable<T> ReadAsync<T>(
        Stream stream, JsonSerializerOptions options, string sql, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    if (line.IsEmpty) continue;
                    yield return Deserialize<T>(line, options, sql);
                }
                if (read.IsCompleted)
                {
                    if (!buffer.IsEmpty) yield return Deserialize<T>(buffer, options, sql);
                    break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    /// <summary>
    /// ClickHouse reports an error that happens after the response started streaming as plain text in the body
    /// (<c>Code: 241, e.displayText() = DB::Exception: …</c>), after HTTP 200.
    /// </summary>
    public static void ThrowIfServerError(string text, string sql)
    {
        int start;
        if (text.StartsWith("Code: ", StringComparison.Ordinal))
        {
            start = 0;
        }
        else
        {
            // Rows are escaped (no raw newline inside a value), so a line that starts with "Code: " is the server's.
            var newline = text.IndexOf("\nCode: ", StringComparison.Ordinal);
            if (newline < 0) return;
            start = newline + 1;
        }
        if (!text.AsSpan(start).Contains("Exception", StringComparison.Ordinal)) return;
        throw ClickHouseServerException.FromServerResponse(text[start..].Trim(), sql);
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, newline.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    private static T Deserialize<T>(ReadOnlySequence<byte> line, JsonSerializerOptions options, string sql)
    {
        var bytes = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (bytes.Length > 0 && bytes[0] != (byte)'{')
        {
            ThrowIfServerError(Encoding.UTF8.GetString(bytes), sql);
            throw new FormatException($"ClickHouse returned a line that is not a JSON object: {Encoding.UTF8.GetString(bytes)}");
        }
        // A String column may hold bytes that are not UTF-8; the server copies them into the JSON as they are.
        // Decoding with replacement turns them into U+FFFD instead of failing the whole result.
        if (!Utf8.IsValid(bytes))
        {
            bytes = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes));
        }
        return JsonSerializer.Deserialize<T>(bytes, options)
            ?? throw new FormatException("ClickHouse returned a JSON null row.");
    }

    /// <summary>ClickHouse prints DateTime as <c>yyyy-MM-dd HH:mm:ss</c> in the column's time zone (UTC in this schema).</summary>
    private sealed class ClickHouseDateTimeConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTime.SpecifyKind(ParseText(reader.GetString()), DateTimeKind.Utc);

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));

        internal static DateTime ParseText(string? text) =>
            DateTime.ParseExact(text ?? "", ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd", "O"], CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    }

    private sealed class ClickHouseDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(DateTime.SpecifyKind(ClickHouseDateTimeConverter.ParseText(reader.GetString()), DateTimeKind.Utc));

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
    }
}
