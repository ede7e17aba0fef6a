// Regenerates ops.json: outputs computed by real TensorFlow.js 4.22 (cpu backend)
// for the kernel cases read by tests/tfjs_golden.rs.
//
//   NODE_PATH=<dir with @tensorflow/tfjs 4.22 in node_modules> node gen_ops.js > ops.json
//
// Layers are used (not raw ops) wherever the layer adds semantics of its own
// (Conv2DTranspose output size, pooling padding). TF.js 4.22 throws
// NotImplementedError for Conv1D padding 'causal', so it has no case here.
const tf = require('@tensorflow/tfjs');

let seed = 12345;
function rand(n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out[i] = ((seed >>> 8) / (1 << 24)) * 2 - 1;
  }
  return out;
}
const prod = (s) => s.reduce((a, b) => a * b, 1);

async function main() {
  await tf.setBackend('cpu');
  const cases = [];
  function run(name, layer, inShape, params) {
    const x = rand(prod(inShape));
    const xt = tf.tensor(x, inShape);
    layer.build(inShape);
    const weights = layer.getWeights().map((w) => Array.from(rand(prod(w.shape))));
    layer.setWeights(layer.getWeights().map((w, i) => tf.tensor(weights[i], w.shape)));
    const y = layer.apply(xt);
    cases.push({
      name, params, input_shape: inShape, input: Array.from(x),
      weights, weight_shapes: layer.getWeights().map((w) => w.shape),
      output_shape: y.shape, output: Array.from(y.dataSync()),
    });
  }
  const conv2d = (o) => tf.layers.conv2d(o);
  const c2 = [
    ['conv2d_same_s2', [1, 9, 8, 3], { filters: 5, kernelSize: 3, strides: 2, padding: 'same' }],
    ['conv2d_same_even_k', [2, 7, 6, 2], { filters: 3, kernelSize: [4, 2], strides: 1, padding: 'same' }],
    ['conv2d_valid_dil', [1, 9, 9, 2], { filters: 4, kernelSize: 3, dilationRate: 2, padding: 'valid' }],
    ['conv2d_same_dil', [1, 7, 8, 3], { filters: 2, kernelSize: 3, dilationRate: [2, 3], padding: 'same' }],
    ['conv2d_1x1', [2, 4, 5, 6], { filters: 7, kernelSize: 1, padding: 'same' }],
    ['conv2d_same_s2_odd', [1, 11, 10, 4], { filters: 3, kernelSize: 3, strides: [2, 3], padding: 'same' }],
  ];
  for (const [n, s, o] of c2) run(n, conv2d(o), s, o);
  const dw = [
    ['depthwise_same_s2', [1, 9, 9, 5], { kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 1 }],
    ['depthwise_mult2', [2, 6, 7, 3], { kernelSize: 3, padding: 'same', depthMultiplier: 2 }],
    // TF.js 4.22 ignores dilationRate in DepthwiseConv2D (output 7x7, not 6x6);
    // tfjs_golden.rs asserts that it equals the undilated convolution.
    ['depthwise_valid_dil', [1, 8, 8, 4], { kernelSize: 2, dilationRate: 2, padding: 'valid' }],
  ];
  for (const [n, s, o] of dw) run(n, tf.layers.depthwiseConv2d(o), s, o);
  const tr = [
    ['conv2d_transpose_same_s2', [1, 4, 5, 3], { filters: 2, kernelSize: 3, strides: 2, padding: 'same' }],
    ['conv2d_transpose_valid_s2', [2, 3, 3, 2], { filters: 3, kernelSize: 3, strides: 2, padding: 'valid' }],
    ['conv2d_transpose_same_k4_s2', [1, 3, 4, 2], { filters: 2, kernelSize: 4, strides: 2, padding: 'same' }],
    ['conv2d_transpose_valid_k2_s3', [1, 3, 2, 2], { filters: 2, kernelSize: 2, strides: 3, padding: 'valid' }],
    ['conv2d_transpose_same_s1', [1, 5, 5, 2], { filters: 3, kernelSize: [3, 2], strides: 1, padding: 'same' }],
  ];
  for (const [n, s, o] of tr) run(n, tf.layers.conv2dTranspose(o), s, o);
  const c1 = [
    ['conv1d_valid_dil', [2, 10, 3], { filters: 4, kernelSize: 3, dilationRate: 2, padding: 'valid' }],
    ['conv1d_same_s2', [1, 11, 2], { filters: 3, kernelSize: 4, strides: 2, padding: 'same' }],
  ];
  for (const [n, s, o] of c1) run(n, tf.layers.conv1d(o), s, o);
  run('conv3d_same', tf.layers.conv3d({ filters: 3, kernelSize: [2, 3, 3], strides: [1, 2, 1], padding: 'same' }), [1, 4, 5, 5, 2],
    { filters: 3, kernelSize: [2, 3, 3], strides: [1, 2, 1], padding: 'same' });
  const pools = [
    ['max_pool2d_same', 'maxPooling2d', [1, 7, 7, 3], { poolSize: 3, strides: 2, padding: 'same' }],
    ['avg_pool2d_same', 'averagePooling2d', [2, 7, 6, 3], { poolSize: 3, strides: 2, padding: 'same' }],
    ['avg_pool2d_same_k2', 'averagePooling2d', [1, 5, 5, 2], { poolSize: 2, strides: 2, padding: 'same' }],
    ['avg_pool2d_valid', 'averagePooling2d', [1, 6, 7, 2], { poolSize: [2, 3], strides: [2, 2], padding: 'valid' }],
    ['avg_pool1d_same', 'averagePooling1d', [1, 9, 3], { poolSize: 4, strides: 3, padding: 'same' }],
    ['max_pool1d_same', 'maxPooling1d', [1, 9, 3], { poolSize: 4, strides: 3, padding: 'same' }],
    ['avg_pool3d_same', 'averagePooling3d', [1, 3, 5, 4, 2], { poolSize: 2, strides: 2, padding: 'same' }],
    ['max_pool3d_same', 'maxPooling3d', [1, 3, 5, 4, 2], { poolSize: [2, 3, 2], strides: 2, padding: 'same' }],
    ['global_avg_pool2d', 'globalAveragePooling2d', [2, 3, 4, 5], {}],
    ['global_max_pool2d', 'globalMaxPooling2d', [2, 3, 4, 5], {}],
  ];
  for (const [n, l, s, o] of pools) run(n, tf.layers[l](o), s, Object.assign({ layer: l }, o));
  process.stdout.write(JSON.stringify({ generated_by: `TensorFlow.js ${tf.version.tfjs} (cpu backend)`, cases }));
}
main();
