namespace WorkloadProfiles.ClickHouse.Tests;

public sealed class SqlScriptTests
{
    [Fact]
    public void Splits_on_semicolons_and_drops_comments_and_empty_statements()
    {
        var statements = SqlScript.Split("""
            -- heading; with a semicolon
            CREATE TABLE a (x UInt8) ENGINE = Memory;
            /* block; comment */ SELECT 1;
            ;
            SELECT 2
            """);

        Assert.Equal(["CREATE TABLE a (x UInt8) ENGINE = Memory", "SELECT 1", "SELECT 2"], statements);
    }

    [Fact]
    public void Keeps_semicolons_and_comment_markers_inside_quotes()
    {
        var statements = SqlScript.Split("SELECT 'a;b -- c', `x;y`, \"p/*q\"; SELECT 'it\\'s; fine'");

        Assert.Equal(["SELECT 'a;b -- c', `x;y`, \"p/*q\"", "SELECT 'it\\'s; fine'"], statements);
    }

    [Fact]
    public void Unterminated_quote_is_a_clear_error()
    {
        var error = Assert.Throws<FormatException>(() => SqlScript.Split("SELECT 'open"));
        Assert.Contains("Unterminated", error.Message);
    }
}
