"""The OpInfos torchless does not pass, each with the reason (the README lists them).

The OpInfo tests (tests/test_opinfo.py) expect exactly these to fail: one that starts passing
must be taken off this list.
"""

GAPS: dict[str, str] = {
    'as_strided_scatter': "torch's gradient for the input is wrong (it keeps the gradient where src overwrote the input and drops it elsewhere; e.g. torch.as_strided_scatter(zeros(3,3), ones(2,2), (2,2), (1,2)) gives the input grad g[0,0..3] and 0 elsewhere): torchless computes the true derivative",
    'bfloat16': "NumPy has no bfloat16 dtype (torchless's dtypes are NumPy's)",
    'chalf': 'NumPy has no complex32 (chalf) dtype',
    'hash_tensor': 'returns uint64, a dtype torchless does not have yet',
    'sparse.mm.reduce': 'sparse layouts: out of scope (torchless tensors are dense NumPy arrays)',
    'sparse.sampled_addmm': 'sparse layouts: out of scope (torchless tensors are dense NumPy arrays)',
    'to_sparse': 'sparse layouts: out of scope (torchless tensors are dense NumPy arrays)',
}
