using GraphQL.Types;
using GraphQLParser.AST;

namespace Conpaas.Api.Files;

/// <summary>
/// The multipart request spec's Upload: only ever a variable whose value is a file part (<see cref="MultipartUploads"/>
/// puts the spooled file there); a string, a literal or a JSON request's null-less value is refused as invalid input.
/// </summary>
public sealed class UploadGraphType : ScalarGraphType
{
    public UploadGraphType()
    {
        Name = "Upload";
        Description = "A file part of a multipart/form-data request (GraphQL multipart request spec); in a variable only.";
    }

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        SpooledFile file => file,
        _ => ThrowValueConversionError(value),
    };

    public override object? ParseLiteral(GraphQLValue value) =>
        value is GraphQLNullValue ? null : ThrowLiteralConversionError(value, "an Upload is sent as a file part of a multipart request");

    public override object? Serialize(object? value) => ThrowSerializationError(value);
}
