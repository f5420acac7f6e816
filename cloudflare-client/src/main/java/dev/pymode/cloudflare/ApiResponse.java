package dev.pymode.cloudflare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

/** A successful Cloudflare envelope: its {@code result} and, for lists, {@code result_info}. */
record ApiResponse(int status, JsonNode result, JsonNode resultInfo) {

    ApiResponse {
        result = result == null ? MissingNode.getInstance() : result;
        resultInfo = resultInfo == null ? MissingNode.getInstance() : resultInfo;
    }
}
