package org.cil4j.method;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.cil4j.experiment.Methods;

/** Binds a method's parameter record from JSON, defaults applied, as a config would. */
final class TestParams {
    private TestParams() {}

    static <T extends Record> T bind(Class<T> type, String json) {
        try {
            return Methods.bind("test", new ObjectMapper().readTree(json), type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    static <T extends Record> T defaults(Class<T> type) {
        return bind(type, "{}");
    }
}
