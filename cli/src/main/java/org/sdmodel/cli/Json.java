package org.sdmodel.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * JSON output of the commands. Summaries are built as nodes (cheap); the ObjectMapper that prints
 * them is created only when {@code --json} asks for it, since creating one costs about 0.2 s of
 * start-up, a tenth of a 2 GB prune.
 */
final class Json {
    private Json() {
    }

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    /**
     * A node for plain Java values as core gives parsed JSON ({@code Map}, {@code List},
     * {@code String}, {@code Boolean}, numbers, {@code null}), without an ObjectMapper. Recursive:
     * Jackson's parser already refused nesting beyond its limit (1000) when core read the text.
     */
    static JsonNode of(Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (value == null) {
            return f.nullNode();
        } else if (value instanceof Map<?, ?> map) {
            ObjectNode o = f.objectNode();
            map.forEach((k, v) -> o.set(String.valueOf(k), of(v)));
            return o;
        } else if (value instanceof List<?> list) {
            ArrayNode a = f.arrayNode();
            list.forEach(v -> a.add(of(v)));
            return a;
        } else if (value instanceof Boolean b) {
            return f.booleanNode(b);
        } else if (value instanceof Integer i) {
            return f.numberNode(i);
        } else if (value instanceof Long l) {
            return f.numberNode(l);
        } else if (value instanceof BigInteger big) {
            return f.numberNode(big);
        } else if (value instanceof Double d) {
            return f.numberNode(d);
        } else if (value instanceof BigDecimal dec) {
            return f.numberNode(dec);
        }
        return f.textNode(value.toString());
    }

    /** Indented JSON text. */
    static String write(JsonNode node) {
        try {
            return Printer.MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The mapper, made on first use. */
    private static final class Printer {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }
}
