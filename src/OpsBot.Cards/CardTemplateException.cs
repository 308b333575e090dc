namespace OpsBot.Cards;

/// <summary>A template in <c>cards/</c> cannot be compiled (syntax error, unknown function, wrong argument count). Stops start-up.</summary>
public sealed class CardTemplateException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>Expanding a template with a model failed (evaluation error such as out-of-range index or a null in text).</summary>
public sealed class CardRenderException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>An AEL evaluation error; the engine turns it into a <see cref="CardRenderException"/> naming file and JSON path.</summary>
internal sealed class TemplateEvalException(string message) : Exception(message);

/// <summary>A template string or expression that does not parse; turned into a <see cref="CardTemplateException"/>.</summary>
internal sealed class TemplateSyntaxException(string message) : Exception(message);
