/* A stack-machine bytecode interpreter. With the program static the dispatch
   loop disappears: the residual is the program compiled to C (the first
   Futamura projection). */
enum { OP_PUSH, OP_ARG, OP_ADD, OP_SUB, OP_MUL, OP_LT, OP_DUP, OP_SWAP, OP_OVER, OP_POP, OP_JZ, OP_JMP, OP_RET };

int run(const int *code, int a0, int a1)
{
    int stack[16];
    int sp = 0;
    int pc = 0;
    for (;;) {
        int op = code[pc++];
        switch (op) {
        case OP_PUSH:
            stack[sp++] = code[pc++];
            break;
        case OP_ARG:
            stack[sp++] = code[pc++] == 0 ? a0 : a1;
            break;
        case OP_ADD:
            sp--;
            stack[sp - 1] = stack[sp - 1] + stack[sp];
            break;
        case OP_SUB:
            sp--;
            stack[sp - 1] = stack[sp - 1] - stack[sp];
            break;
        case OP_MUL:
            sp--;
            stack[sp - 1] = stack[sp - 1] * stack[sp];
            break;
        case OP_LT:
            sp--;
            stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case OP_DUP:
            stack[sp] = stack[sp - 1];
            sp++;
            break;
        case OP_SWAP: {
            int t = stack[sp - 1];
            stack[sp - 1] = stack[sp - 2];
            stack[sp - 2] = t;
            break;
        }
        case OP_OVER:
            stack[sp] = stack[sp - 2];
            sp++;
            break;
        case OP_POP:
            sp--;
            break;
        case OP_JZ:
            sp--;
            if (stack[sp] == 0)
                pc = code[pc];
            else
                pc++;
            break;
        case OP_JMP:
            pc = code[pc];
            break;
        default:
            return sp > 0 ? stack[sp - 1] : 0;
        }
    }
}
