package org.cil4j.experiment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.cil4j.CilException;

/**
 * The method and its own hyper-parameters (validated by the method's typed record).
 *
 * @param name a name from {@code cil methods}
 * @param params the method's parameters; unknown keys fail
 */
public record MethodConfig(String name, JsonNode params) {
    /** Reads the record. */
    @JsonCreator
    public static MethodConfig of(@JsonProperty("name") String name, @JsonProperty("params") JsonNode params) {
        return new MethodConfig(
                name, params == null || params.isNull() ? JsonNodeFactory.instance.objectNode() : params);
    }

    /**
     * A method with typed parameters, for building a config in code:
     * {@code MethodConfig.typed("lucir", Methods.defaults(Lucir.Params.class).withLessForget(false))}.
     *
     * @param name a registered method
     * @param params its parameter record ({@link Methods.Entry#paramsType})
     * @return the method's config, the parameters as a JSON config would hold them
     * @throws CilException when the record is not the method's parameter type
     */
    public static MethodConfig typed(String name, Record params) {
        Class<? extends Record> type = Methods.entry(name).paramsType();
        if (!type.isInstance(params)) {
            throw new CilException("method " + name + " takes " + type.getName() + ", not "
                    + (params == null ? "null" : params.getClass().getName()));
        }
        return new MethodConfig(name, ConfigLoader.MAPPER.valueToTree(params));
    }

    /** Checks the name is present. */
    public MethodConfig {
        if (name == null || name.isBlank()) {
            throw new CilException("method.name is required (see 'cil methods')");
        }
    }
}
