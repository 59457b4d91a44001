//! `#[derive(ReadJson, WriteJson)]`: the app's JSON code for a wire type, written from the
//! same `#[serde(...)]` attributes serde's derive reads, so both speak the same JSON.
//!
//! The code it writes calls the small, non-generic reader and writer of
//! `ppt_protocol::json`: per field a name to match and a call, where serde's derive writes
//! visitors that are compiled again for every format (docs/performance-notes.md, issue 16).
//!
//! The attributes understood are those the wire types use: on a container `rename_all`
//! (`camelCase`, `snake_case`, `lowercase`), `transparent` and `from`; on a field `rename`,
//! `default` and `skip_serializing_if`; on a variant `rename`. Enums are externally tagged
//! (serde's default): a unit variant is its name, a newtype or struct variant a one-key
//! object. Anything else is a compile error, never JSON that differs from serde's.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Path, Type};

#[proc_macro_derive(ReadJson, attributes(serde))]
pub fn derive_read(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    read(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[proc_macro_derive(WriteJson, attributes(serde))]
pub fn derive_write(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    write(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The `#[serde(...)]` attributes of one item.
#[derive(Default)]
struct Attrs {
    rename: Option<String>,
    rename_all: Option<String>,
    transparent: bool,
    from: Option<Type>,
    default: bool,
    skip_if: Option<Path>,
}

fn attrs(list: &[Attribute]) -> syn::Result<Attrs> {
    let mut out = Attrs::default();
    for attr in list.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let name = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            match name.as_str() {
                "rename" => out.rename = Some(meta.value()?.parse::<LitStr>()?.value()),
                "rename_all" => {
                    let rule = meta.value()?.parse::<LitStr>()?.value();
                    if !matches!(rule.as_str(), "camelCase" | "snake_case" | "lowercase") {
                        return Err(meta.error("ReadJson/WriteJson: unsupported rename_all rule"));
                    }
                    out.rename_all = Some(rule);
                }
                "transparent" => out.transparent = true,
                "from" => out.from = Some(meta.value()?.parse::<LitStr>()?.parse()?),
                "default" => out.default = true,
                "skip_serializing_if" => {
                    out.skip_if = Some(meta.value()?.parse::<LitStr>()?.parse()?)
                }
                _ => return Err(meta.error("ReadJson/WriteJson: unsupported serde attribute")),
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// A field's or variant's JSON name: its `rename`, else its Rust name under `rule`.
fn json_name(ident: &Ident, own: &Attrs, rule: Option<&str>) -> String {
    if let Some(name) = &own.rename {
        return name.clone();
    }
    let rust = ident.to_string().trim_start_matches("r#").to_owned();
    let pascal = rust.chars().next().is_some_and(char::is_uppercase);
    match rule {
        Some("lowercase") => rust.to_lowercase(),
        Some("camelCase") if pascal => {
            let mut chars = rust.chars();
            chars
                .next()
                .map(|c| c.to_lowercase().chain(chars).collect())
                .unwrap_or_default()
        }
        Some("camelCase") => {
            let mut out = String::new();
            let mut upper = false;
            for c in rust.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    out.extend(c.to_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
            out
        }
        Some("snake_case") if pascal => {
            let mut out = String::new();
            for (i, c) in rust.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    out.push('_');
                }
                out.extend(c.to_lowercase());
            }
            out
        }
        _ => rust,
    }
}

/// One named field: its Rust name, JSON name, type and attributes.
struct Field {
    ident: Ident,
    name: String,
    ty: Type,
    attrs: Attrs,
}

fn named(fields: &Fields, rule: Option<&str>) -> syn::Result<Vec<Field>> {
    let Fields::Named(named) = fields else {
        return Err(syn::Error::new_spanned(fields, "expected named fields"));
    };
    named
        .named
        .iter()
        .map(|f| {
            let ident = f.ident.clone().expect("named field");
            let attrs = attrs(&f.attrs)?;
            Ok(Field {
                name: json_name(&ident, &attrs, rule),
                ident,
                ty: f.ty.clone(),
                attrs,
            })
        })
        .collect()
}

/// Reads an object's fields into `build` (a path such as `Self` or `Self::Push`).
fn read_fields(build: Tokens, fields: &[Field]) -> Tokens {
    let slots: Vec<Ident> = (0..fields.len()).map(|i| format_ident!("__f{i}")).collect();
    let decls = fields.iter().zip(&slots).map(|(f, slot)| {
        let ty = &f.ty;
        quote! { let mut #slot: ::core::option::Option<#ty> = ::core::option::Option::None; }
    });
    let arms = fields.iter().zip(&slots).map(|(f, slot)| {
        let name = &f.name;
        quote! {
            (#name, &mut |__r: &mut ::ppt_protocol::json::Reader<'_>| {
                #slot = ::core::option::Option::Some(::ppt_protocol::json::ReadJson::read_json(__r)?);
                ::core::result::Result::Ok(())
            }),
        }
    });
    let inits = fields.iter().zip(&slots).map(|(f, slot)| {
        let ident = &f.ident;
        let name = &f.name;
        if f.attrs.default {
            quote! { #ident: #slot.unwrap_or_default(), }
        } else {
            quote! { #ident: ::ppt_protocol::json::field(#slot, #name, r)?, }
        }
    });
    quote! {{
        #(#decls)*
        r.fields(&mut [#(#arms)*])?;
        #build { #(#inits)* }
    }}
}

/// Writes `fields` (reached through `access`, e.g. `self.` or a binding) as an object.
fn write_fields(fields: &[Field], access: impl Fn(&Ident) -> Tokens) -> Tokens {
    let each = fields.iter().map(|f| {
        let name = &f.name;
        let value = access(&f.ident);
        let write = quote! {
            w.key(#name);
            ::ppt_protocol::json::WriteJson::write_json(#value, w);
        };
        match &f.attrs.skip_if {
            Some(skip) => quote! { if !#skip(#value) { #write } },
            None => write,
        }
    });
    quote! {
        w.object_begin();
        #(#each)*
        w.object_end();
    }
}

fn read(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let (imp, ty, wher) = input.generics.split_for_impl();
    let own = attrs(&input.attrs)?;
    let body = if let Some(from) = &own.from {
        quote! {
            let inner: #from = ::ppt_protocol::json::ReadJson::read_json(r)?;
            ::core::result::Result::Ok(::core::convert::From::from(inner))
        }
    } else {
        match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Unnamed(one) if one.unnamed.len() == 1 => quote! {
                    ::core::result::Result::Ok(Self(::ppt_protocol::json::ReadJson::read_json(r)?))
                },
                fields => {
                    let fields = named(fields, own.rename_all.as_deref())?;
                    let build = read_fields(quote!(Self), &fields);
                    quote! { ::core::result::Result::Ok(#build) }
                }
            },
            Data::Enum(e) => {
                let mut units = Vec::new();
                let mut arms = Vec::new();
                for v in &e.variants {
                    let vident = &v.ident;
                    let name = json_name(vident, &attrs(&v.attrs)?, own.rename_all.as_deref());
                    match &v.fields {
                        Fields::Unit => {
                            units.push(
                                quote! { #name => ::core::result::Result::Ok(Self::#vident), },
                            );
                            // `{"name": null}`, which serde also reads as the unit variant.
                            arms.push(quote! {
                                #name => {
                                    if !__r.null() {
                                        return ::core::result::Result::Err(__r.error("expected null"));
                                    }
                                    Self::#vident
                                }
                            });
                        }
                        Fields::Unnamed(one) if one.unnamed.len() == 1 => arms.push(quote! {
                            #name => Self::#vident(::ppt_protocol::json::ReadJson::read_json(__r)?),
                        }),
                        Fields::Named(_) => {
                            // The fields of a struct variant are not renamed by the enum's rule.
                            let fields = named(&v.fields, None)?;
                            let build = read_fields(quote!(Self::#vident), &fields);
                            arms.push(quote! { #name => { let r = __r; #build } });
                        }
                        other => return Err(syn::Error::new_spanned(other, "unsupported variant")),
                    }
                }
                quote! {
                    if r.at_string() {
                        let __name = r.str()?;
                        return match &*__name {
                            #(#units)*
                            _ => ::core::result::Result::Err(r.error("unknown variant")),
                        };
                    }
                    let mut __out = ::core::option::Option::None;
                    r.object(&mut |__r, __key| {
                        if __out.is_some() {
                            return ::core::result::Result::Err(__r.error("expected one variant"));
                        }
                        __out = ::core::option::Option::Some(match __key {
                            #(#arms)*
                            _ => return ::core::result::Result::Err(__r.error("unknown variant")),
                        });
                        ::core::result::Result::Ok(())
                    })?;
                    __out.ok_or_else(|| r.error("expected one variant"))
                }
            }
            Data::Union(u) => return Err(syn::Error::new_spanned(u.union_token, "unions")),
        }
    };
    Ok(quote! {
        impl #imp ::ppt_protocol::json::ReadJson for #ident #ty #wher {
            fn read_json(r: &mut ::ppt_protocol::json::Reader<'_>) -> ::ppt_protocol::json::Result<Self> {
                #body
            }
        }
    })
}

fn write(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let (imp, ty, wher) = input.generics.split_for_impl();
    let own = attrs(&input.attrs)?;
    if own.from.is_some() {
        return Err(syn::Error::new_spanned(
            ident,
            "WriteJson: `from` is read-only",
        ));
    }
    let body = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Unnamed(one) if one.unnamed.len() == 1 => {
                quote! { ::ppt_protocol::json::WriteJson::write_json(&self.0, w); }
            }
            fields => {
                let fields = named(fields, own.rename_all.as_deref())?;
                write_fields(&fields, |f| quote!(&self.#f))
            }
        },
        Data::Enum(e) => {
            let mut arms = Vec::new();
            for v in &e.variants {
                let vident = &v.ident;
                let name = json_name(vident, &attrs(&v.attrs)?, own.rename_all.as_deref());
                arms.push(match &v.fields {
                    Fields::Unit => quote! { Self::#vident => w.string(#name), },
                    Fields::Unnamed(one) if one.unnamed.len() == 1 => quote! {
                        Self::#vident(inner) => {
                            w.object_begin();
                            w.key(#name);
                            ::ppt_protocol::json::WriteJson::write_json(inner, w);
                            w.object_end();
                        }
                    },
                    Fields::Named(_) => {
                        let fields = named(&v.fields, None)?;
                        let binds = fields.iter().map(|f| &f.ident);
                        let inner = write_fields(&fields, |f| quote!(#f));
                        quote! {
                            Self::#vident { #(#binds),* } => {
                                w.object_begin();
                                w.key(#name);
                                #inner
                                w.object_end();
                            }
                        }
                    }
                    other => return Err(syn::Error::new_spanned(other, "unsupported variant")),
                });
            }
            quote! { match self { #(#arms)* } }
        }
        Data::Union(u) => return Err(syn::Error::new_spanned(u.union_token, "unions")),
    };
    Ok(quote! {
        impl #imp ::ppt_protocol::json::WriteJson for #ident #ty #wher {
            fn write_json(&self, w: &mut ::ppt_protocol::json::Writer) {
                #body
            }
        }
    })
}
