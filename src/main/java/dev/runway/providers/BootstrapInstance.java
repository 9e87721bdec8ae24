package dev.runway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runway.pools.ProviderSpec;
import java.util.List;

/**
 * What {@code CreateInstance} reads on stdin: garm-provider-common's {@code
 * params.BootstrapInstance}, with its JSON names exactly ({@code repo_url}, {@code callback-url},
 * {@code metadata-url}, {@code instance-token}, {@code os_type}, {@code arch}, {@code extra_specs},
 * {@code jit_config_enabled}, ...). Runway always uses just-in-time runners, so the instance
 * fetches its runner's files from the metadata endpoints and never a registration token.
 *
 * @param tools GitHub's runner downloads ({@code GET .../actions/runners/downloads}) as GitHub
 *     answered them: {@code os}, {@code architecture}, {@code download_url}, {@code filename},
 *     {@code sha256_checksum}
 * @param instanceToken the instance's own bearer token for the metadata and callback endpoints
 */
record BootstrapInstance(
    String name,
    JsonNode tools,
    String repoUrl,
    String callbackUrl,
    String metadataUrl,
    String instanceToken,
    List<String> labels,
    String poolId,
    ProviderSpec spec,
    long runnerGroupId) {

  /** The JSON GARM's providers read. */
  byte[] toJson(ObjectMapper json) {
    ObjectNode o = json.createObjectNode();
    o.put("name", name);
    o.set("tools", tools == null ? json.createArrayNode() : tools.deepCopy());
    o.put("repo_url", repoUrl);
    o.put("callback-url", callbackUrl);
    o.put("metadata-url", metadataUrl);
    o.put("instance-token", instanceToken);
    o.set("ssh-keys", json.createArrayNode());
    o.set("extra_specs", spec.extraSpecs());
    o.put("github-runner-group", runnerGroupId == 1 ? "" : String.valueOf(runnerGroupId));
    o.putNull("ca-cert-bundle");
    o.put("arch", spec.osArch());
    o.put("os_type", spec.osType());
    o.put("flavor", spec.flavor());
    o.put("image", spec.image());
    ArrayNode l = o.putArray("labels");
    labels.forEach(l::add);
    o.put("pool_id", poolId);
    ObjectNode userData = o.putObject("user_data_options");
    userData.put("disable_updates_on_boot", false);
    userData.putArray("extra_packages");
    userData.put("enable_boot_debug", false);
    o.put("jit_config_enabled", true);
    ObjectNode proxy = o.putObject("proxy_config");
    proxy.put("http_proxy", "");
    proxy.put("https_proxy", "");
    proxy.put("no_proxy", "");
    try {
      return json.writeValueAsBytes(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a BootstrapInstance did not serialise", e);
    }
  }

  @Override
  public String toString() {
    return "BootstrapInstance[name="
        + name
        + ", pool_id="
        + poolId
        + ", instance-token=<redacted>]";
  }
}
