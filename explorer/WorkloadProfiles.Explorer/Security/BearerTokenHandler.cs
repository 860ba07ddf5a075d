using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace WorkloadProfiles.Explorer.Security;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;token&gt;</c> against the explorer's <see cref="ExplorerToken"/>. A failed
/// challenge answers 401 with <c>WWW-Authenticate: Bearer</c> and a problem body, never a redirect.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ExplorerToken token)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
        const string Prefix = "Bearer ";
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header is not a bearer token."));
        if (!token.Matches(header.AsSpan(Prefix.Length).Trim()))
            return Task.FromResult(AuthenticateResult.Fail("The bearer token is not valid."));

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "token")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(
                title: "Unauthorized",
                detail: "Send the explorer token as 'Authorization: Bearer <token>'.",
                statusCode: StatusCodes.Status401Unauthorized)
            .ExecuteAsync(Context);
    }
}
