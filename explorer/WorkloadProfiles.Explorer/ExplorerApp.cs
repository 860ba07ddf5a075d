using System.Diagnostics;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Explorer.Api;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Security;
using WorkloadProfiles.Explorer.Suppressions;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Operations;

namespace WorkloadProfiles.Explorer;

/// <summary>
/// Builds the explorer: configuration (JSON file from <c>--config</c>/<c>WP_CONFIG</c>, default <c>./workloadprofiles.json</c>,
/// then <c>WP_*</c> environment variables, then the command line), the API under <c>/api</c> behind the bearer token, and
/// the page. Tests build it with extra configuration and run it on Kestrel like production.
/// </summary>
public static class ExplorerApp
{
    public const string ConfigVariable = "WP_CONFIG";
    public const string DefaultConfigFile = "workloadprofiles.json";

    /// <param name="configure">Extra configuration applied last (tests use it for an in-memory collection).</param>
    public static WebApplication Create(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        ConfigureSources(builder.Configuration, args, configure);

        var explorer = builder.Configuration.GetSection(ExplorerOptions.SectionName).Get<ExplorerOptions>() ?? new ExplorerOptions();
        explorer.Validate();
        builder.WebHost.UseUrls(explorer.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        AddServices(builder.Services, builder.Configuration, explorer);

        var app = builder.Build();
        UsePipeline(app);
        return app;
    }

    private static void ConfigureSources(ConfigurationManager configuration, string[] args, Action<IConfigurationBuilder>? configure)
    {
        var fromCommandLine = new ConfigurationBuilder().AddCommandLine(args).Build()["config"];
        var explicitFile = fromCommandLine ?? Environment.GetEnvironmentVariable(ConfigVariable);
        configuration.Sources.Clear();
        configuration.AddJsonFile(Path.GetFullPath(explicitFile ?? DefaultConfigFile), optional: explicitFile is null, reloadOnChange: false);
        configuration.AddEnvironmentVariables("WP_");
        configuration.AddCommandLine(args);
        configure?.Invoke(configuration);
    }

    private static void AddServices(IServiceCollection services, ConfigurationManager configuration, ExplorerOptions explorer)
    {
        services.AddSingleton(Options.Create(explorer));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(ExplorerToken.From(explorer));

        var clickHouse = configuration.GetSection(ClickHouseOptions.SectionName).Get<ClickHouseOptions>() ?? new ClickHouseOptions();
        services.AddSingleton(clickHouse);
        services.AddSingleton(_ => new ClickHouseDatabase(clickHouse));
        services.AddSingleton<ProfileReader>();
        services.AddSingleton<SignalReader>();
        services.AddSingleton<SignalGroupReader>();
        services.AddSingleton<ProfileActivityReader>();
        services.AddSingleton(PipelinePolicy.From(configuration));
        services.AddSingleton<SuppressionCatalog>();
        services.AddSingleton<ExplorerHealth>();

        var kafka = KafkaOptions.From(configuration);
        var avro = configuration.GetSection(AvroCodecOptions.SectionName).Get<AvroCodecOptions>() ?? AvroCodecOptions.Default;
        services.AddSingleton(kafka);
        services.AddSingleton(_ => new AvroCodecs(avro));
        services.AddSingleton<SuppressionPublisher>();
        if (explorer.MigrateOnStart) services.AddHostedService<MigrationOnStart>();

        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, configureOptions: null);
        // Everything that is an endpoint needs the token unless it says otherwise; only the page's files are open.
        services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<ProblemExceptionHandler>();
    }

    private static void UsePipeline(WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(SecurityHeaders);

        var page = new EmbeddedFileProvider(typeof(ExplorerApp).Assembly, "WorkloadProfiles.Explorer.wwwroot");
        var noCache = new StaticFileOptions
        {
            FileProvider = page,
            // The files are embedded in the binary: a new build is a new page, so the browser revalidates every time.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        };
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = page });
        app.UseStaticFiles(noCache);

        app.UseAuthentication();
        app.UseAuthorization();

        // Probes and scrapers call these without the token (nothing in them is confidential).
        var health = app.Services.GetRequiredService<ExplorerHealth>();
        app.MapOperations(health.CheckAsync, Prometheus.Metrics.DefaultRegistry);

        var api = app.MapGroup("/api");
        ProfileEndpoints.Map(api);
        SignalEndpoints.Map(api);
        SignalGroupEndpoints.Map(api);
        ProfileActivityEndpoints.Map(api);
        SuppressionEndpoints.Map(api);
        ExportEndpoints.Map(api);
        api.MapFallback(() => ProfileEndpoints.NotFound("No such API endpoint."));

        // Deep links (/profiles/nginx/1.27, /signals/…) load the page, which asks for the token and then calls the API.
        // The page's own routes are listed: the generic fallback skips paths that look like files (a tag such as 1.27).
        foreach (var section in new[] { "/profiles/{**path}", "/signals/{**path}", "/suppressions/{**path}" })
        {
            app.MapFallbackToFile(section, "index.html", noCache).AllowAnonymous();
        }
        app.MapFallbackToFile("index.html", noCache).AllowAnonymous();

        app.Lifetime.ApplicationStarted.Register(() => AnnounceStart(app));
    }

    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        return next();
    }

    private static void AnnounceStart(WebApplication app)
    {
        var token = app.Services.GetRequiredService<ExplorerToken>();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExplorerApp).FullName!);
        logger.LogInformation("WorkloadProfiles explorer listening on {Addresses}", string.Join(", ", addresses));
        if (token.Generated)
        {
            logger.LogWarning(
                "No Explorer:Token (WP_Explorer__Token) is configured; this process generated the token {Token}. Open {Url}/#token={Token}",
                token.Value, addresses.FirstOrDefault() ?? "", token.Value);
        }
    }

    /// <summary>Applies the ClickHouse migrations before the explorer serves (Explorer:MigrateOnStart).</summary>
    private sealed class MigrationOnStart(ClickHouseDatabase database, ILogger<Migrator> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => new Migrator(database, logger: logger).MigrateAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
